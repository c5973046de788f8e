"""The banking app's public entry points (placeholder until the banking issue lands)."""


def verify_claim(*, claim_id, actor=None, force: bool = False):
    """Verify one claim against Banesco. Placeholder: does nothing yet."""
    return None
