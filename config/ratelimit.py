"""Rate limiting with django-ratelimit's counters (cache alias RATELIMIT_USE_CACHE), raising our
RateLimited error (→ 429 + accurate Retry-After) instead of django-ratelimit's 403.

    enforce_rate(request=request, group="auth.login.ip", key="ip", rate=settings.LOGIN_RATE_PER_IP)

Cache failure: RATELIMIT_FAIL_OPEN decides (default open: let the request through, log an error).
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from django.conf import settings
from django_ratelimit.core import get_usage

from config.errors import RateLimited

logger = structlog.get_logger(__name__)


def enforce_rate(*, request, group: str, key: str | Callable, rate: str, increment: bool = True) -> None:
    """Count this request against `rate` for `key` within `group`; raise RateLimited when over."""
    try:
        usage = get_usage(request, group=group, key=key, rate=rate, increment=increment)
    except Exception as exc:  # cache backend down (Redis connection errors are not normalised)
        logger.error("ratelimit_cache_failed", group=group, error=type(exc).__name__)
        if getattr(settings, "RATELIMIT_FAIL_OPEN", False):
            return
        raise RateLimited("Rate limiting is unavailable; try again later.", retry_after=5) from exc
    if usage is None:  # disabled, or cache failure with fail-open
        return
    if usage["should_limit"]:
        retry_after = usage["time_left"] if usage["time_left"] > 0 else 60
        logger.warning("rate_limited", group=group, retry_after=retry_after)
        raise RateLimited(retry_after=retry_after, details={"retry_after": retry_after})
