"""Security events from Django's auth signals.

* `user_login_failed` (sent by django.contrib.auth.authenticate for the API and the admin) ->
  auth.login_failed, actor ANONYMOUS, label = the attempted email. Only the email/username is read
  from `credentials`; the password (already cleansed by Django) is never stored or logged.
* `user_logged_in` (sent by django.contrib.auth.login, i.e. admin session logins; the JWT API
  records its own auth.login_succeeded) -> auth.login_succeeded with metadata {"channel": "admin"}.
"""

from __future__ import annotations

import structlog
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed

from accounts.emails import canonical_email
from accounts.events import security_event
from audit import actions
from audit.models import ActorType
from audit.services import record

logger = structlog.get_logger("audit.security")

_UID_FAILED = "audit.signals.login_failed"
_UID_LOGGED_IN = "audit.signals.logged_in"
_UID_SECURITY = "audit.signals.security_event"


def _channel(request) -> str:
    path = getattr(request, "path", "") or ""
    return "api" if path.startswith("/api/") else ("admin" if request is not None else "unknown")


def attempted_login(credentials) -> str:
    """The login name from authenticate() credentials; never anything else from that dict."""
    if not isinstance(credentials, dict):
        return ""
    field = get_user_model().USERNAME_FIELD
    for key in (field, "email", "username"):
        value = credentials.get(key)
        if isinstance(value, str) and value.strip():
            return canonical_email(value)[:254]
    return ""


def on_user_login_failed(sender, credentials=None, request=None, **kwargs):
    email = attempted_login(credentials)
    channel = _channel(request)
    record(
        action=actions.AUTH_LOGIN_FAILED,
        actor_type=ActorType.ANONYMOUS,
        actor_label=email,
        metadata={"channel": channel},
        request=request,
    )
    logger.warning("auth.login_failed", email=email, channel=channel)


def on_user_logged_in(sender, request=None, user=None, **kwargs):
    if user is None:
        return
    record(
        action=actions.AUTH_LOGIN_SUCCEEDED,
        actor=user,
        target=user,
        metadata={"channel": "admin"},
        request=request,
    )
    logger.info("auth.login_succeeded", user_id=str(user.pk), channel="admin")


def on_security_event(sender, **event):
    """An accounts event (accounts.events.record): appended in the sender's transaction."""
    event.pop("signal", None)
    return record(**event)


def connect() -> None:
    security_event.connect(on_security_event, dispatch_uid=_UID_SECURITY)
    user_login_failed.connect(on_user_login_failed, dispatch_uid=_UID_FAILED)
    user_logged_in.connect(on_user_logged_in, dispatch_uid=_UID_LOGGED_IN)
