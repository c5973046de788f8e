"""The transactions app's start-up checks (registered with config/checks.py)."""

from django.conf import settings

from config.checks import Problem, startup_check
from transactions.verification_queue import MAX_WAIT_SECONDS


@startup_check
def manager_refresh_wait_problems() -> list[Problem]:
    wait = settings.MANAGER_REFRESH_WAIT_SECONDS
    if 0 <= wait <= MAX_WAIT_SECONDS:
        return []
    return [
        Problem(
            "transactions.E001",
            f"MANAGER_REFRESH_WAIT_SECONDS must be between 0 and {MAX_WAIT_SECONDS}, not {wait}.",
            "The manager UI's refresh waits this long for the verification worker (README).",
        )
    ]
