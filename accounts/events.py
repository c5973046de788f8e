"""Security events of the accounts app and their audit action names.

`accounts` sits below `audit` in the dependency order (config ← accounts ← audit ← banking ←
transactions), so it never imports the audit app: `record()` sends `security_event`, and the audit
app (audit/signals.py) appends the event through `audit.services.record`, synchronously, in the
caller's database transaction. `audit/actions.py` re-exports these names, so it stays the one
vocabulary; a send that nobody records is an error, never a silent loss.
"""

from __future__ import annotations

from django.dispatch import Signal

AUTH_LOGIN_SUCCEEDED = "auth.login_succeeded"
AUTH_TOKEN_REFRESHED = "auth.token_refreshed"
AUTH_LOGOUT = "auth.logout"
AUTH_LOGIN_LOCKED_OUT = "auth.login_locked_out"

ACCOUNTS_USER_CREATED = "accounts.user_created"
ACCOUNTS_USER_DEACTIVATED = "accounts.user_deactivated"
ACCOUNTS_PASSWORD_CHANGED = "accounts.password_changed"
ACCOUNTS_ROLE_GRANTED = "accounts.role_granted"
ACCOUNTS_ROLE_REVOKED = "accounts.role_revoked"
ACCOUNTS_PERMISSION_CHANGED = "accounts.permission_changed"

ADMIN_ACTION = "admin.action"

# audit.models.ActorType values accounts passes (it may not import the audit app)
ANONYMOUS = "ANONYMOUS"

# kwargs: those of audit.services.record (action, actor, actor_type, actor_label, target, before,
# after, reason, metadata, request)
security_event = Signal()


def record(**event):
    """Have the audit trail record `event`; returns the audit event."""
    responses = security_event.send(sender=None, **event)
    if not responses:
        raise RuntimeError("No audit receiver for accounts.events.security_event (is `audit` installed?)")
    return responses[0][1]
