"""Login limits for both login paths (API token endpoint and admin login), on the project's one
rate-limit mechanism (config.ratelimit).

Each login attempt is **counted first** on two keys — the client IP and the canonical email
(accounts.emails) — and only an attempt still inside both budgets gets its password checked. So
30 parallel guesses against a limit of 5 check at most 5 passwords.

Login limits never fail open: when the shared cache is down they are counted by the per-process
in-memory limiter (config.ratelimit, `on_outage="local"`).

* API (`LOGIN_RATE_PER_IP`, `LOGIN_RATE_PER_EMAIL`): every attempt counts; over the limit → 429.
* Admin (`ADMIN_LOGIN_RATE_PER_IP`, `ADMIN_LOGIN_RATE_PER_EMAIL`): only failures count (a
  successful login gives its unit back); the failure that uses the last unit, and every attempt
  after it, get the lockout page (429), and one `auth.login_locked_out` event per key and window.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from django.conf import settings
from django.core.cache import caches
from django.db import transaction

from accounts import events as actions
from accounts.emails import MAX_LENGTH, canonical_email
from accounts.events import record
from config.middleware import client_ip
from config.ratelimit import LOCAL, Usage, hit, refund

logger = structlog.get_logger(__name__)

API, ADMIN = "api", "admin"
# (scope, group) per channel; the group names are the counters' cache namespaces.
_GROUPS = {
    API: (("ip", "auth.login.ip"), ("email", "auth.login.email")),
    ADMIN: (("ip", "admin-login-ip"), ("email", "admin-login-user")),
}


def _rates(channel: str) -> dict[str, str]:
    if channel == API:
        return {"ip": settings.LOGIN_RATE_PER_IP, "email": settings.LOGIN_RATE_PER_EMAIL}
    return {
        "ip": getattr(settings, "ADMIN_LOGIN_RATE_PER_IP", None) or "20/15m",
        "email": getattr(settings, "ADMIN_LOGIN_RATE_PER_EMAIL", None) or "5/15m",
    }


@dataclass
class LoginAttempt:
    channel: str
    email: str  # canonical
    ip: str
    usages: list[tuple[str, Usage]]

    def refused(self) -> tuple[str, int] | None:
        """(scope, retry_after) when this attempt is over a limit: do not check the password."""
        for scope, usage in self.usages:
            if usage.over_limit:
                return scope, usage.retry_after
        return None

    def exhausted(self) -> tuple[str, int] | None:
        """(scope, retry_after) when this attempt used a budget's last unit."""
        for scope, usage in self.usages:
            if usage.exhausted:
                return scope, usage.retry_after
        return None

    def succeeded(self) -> None:
        """Admin: a successful login does not consume the failure budget."""
        if self.channel == ADMIN:
            for _scope, usage in self.usages:
                refund(usage)


def count_attempt(*, channel: str, request, email: str | None) -> LoginAttempt:
    """Count this login attempt on the IP and the email keys (before any password check)."""
    email = canonical_email(email)[:MAX_LENGTH]
    ip = client_ip(request)
    rates = _rates(channel)
    keys = {"ip": ip or "-", "email": email or "-"}
    usages = []
    for scope, group in _GROUPS[channel]:
        usage = hit(group=group, key=keys[scope], rate=rates[scope], on_outage=LOCAL)
        if usage is not None:
            usages.append((scope, usage))
    return LoginAttempt(channel, email, ip, usages)


def record_lockout_once(request, attempt: LoginAttempt, *, scope: str, retry_after: int) -> None:
    """One audit event per locked key and window (an attacker cannot flood the trail)."""
    marker = f"login-lockout:{attempt.channel}:{scope}:{attempt.ip if scope == 'ip' else attempt.email}"
    try:
        first = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")].add(
            marker, 1, timeout=max(retry_after, 1)
        )
    except Exception:  # cache down: audit anyway (rare, and better than not at all)
        first = True
    logger.warning("auth.login_locked_out", channel=attempt.channel, scope=scope, retry_after=retry_after)
    if not first:
        return
    with transaction.atomic():
        record(
            action=actions.AUTH_LOGIN_LOCKED_OUT,
            actor=None,
            actor_type=actions.ANONYMOUS,
            actor_label=attempt.email,
            reason=f"Too many failed {attempt.channel} logins ({scope}).",
            metadata={"channel": attempt.channel, "scope": scope, "retry_after": retry_after},
            request=request,
        )
