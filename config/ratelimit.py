"""The project's one rate-limiting mechanism: fixed-window counters in the `ratelimit` cache alias
(Redis in production, so every process agrees), counted first and atomically, then decided.

    usage = hit(group="transactions.claim_create", key=str(user.pk), rate="60/m")
    enforce_rate(group=..., key=..., rate=..., message=...)   # raises RateLimited (429 + Retry-After)

* **Count first.** `hit()` adds-or-increments the window's counter (`cache.add` then `cache.incr`,
  atomic in Redis and in the local-memory cache) and only then compares it with the limit, so N
  parallel requests can never all pass a check made before any of them was counted.
* **Outage behaviour is the caller's explicit choice** (`on_outage`):
  * `"open"` (API limits, the default): the request goes through and `ratelimit_cache_failed`
    is logged. A payments API must not stop taking claims because its rate-limit store is down.
  * `"local"` (login limits): the same counting in a per-process in-memory limiter, so password
    guessing stays bounded while Redis is down (per process: with W web processes an attacker
    gets at most W × the limit per window, instead of no limit).
* `refund(usage)` gives an attempt back (a successful admin login does not consume the budget).
* `RATELIMIT_ENABLE = False` turns every limit off (benchmarks).

Rates are django-ratelimit's notation: `N/s|m|h|d`, optionally with a multiplier (`5/15m`).
Windows are aligned on multiples of the period (UTC epoch); `retry_after` is what is left of it.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from dataclasses import dataclass

import structlog
from django.conf import settings
from django.core.cache import caches

from config.errors import RateLimited

logger = structlog.get_logger(__name__)

_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
OPEN, LOCAL = "open", "local"


def parse_rate(rate: str) -> tuple[int, int]:
    """`"5/15m"` → (5, 900). Raises ValueError for anything else."""
    match = _RATE_RE.match(rate or "")
    if not match:
        raise ValueError(f"Invalid rate {rate!r}: expected N/[k]s|m|h|d, e.g. 5/15m")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _UNIT_SECONDS[unit]


@dataclass(frozen=True)
class Usage:
    group: str
    count: int  # including this request
    limit: int
    retry_after: int  # seconds left in the window (>= 1)
    cache_key: str
    local: bool  # counted by the in-process fallback (cache down)

    @property
    def over_limit(self) -> bool:
        return self.count > self.limit

    @property
    def exhausted(self) -> bool:
        """This request used the last unit of the budget (or more)."""
        return self.count >= self.limit


class LocalLimiter:
    """Fixed-window counters in this process's memory: the fallback when the cache is down."""

    MAX_KEYS = 50_000

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[float, int]] = {}  # key -> (window end, count)

    def incr(self, key: str, window_end: float, delta: int = 1) -> int:
        now = time.time()
        with self._lock:
            if len(self._counts) > self.MAX_KEYS:
                self._counts = {k: v for k, v in self._counts.items() if v[0] > now}
            end, count = self._counts.get(key, (window_end, 0))
            if end <= now:
                end, count = window_end, 0
            count = max(count + delta, 0)
            self._counts[key] = (end, count)
            return count

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


local_limiter = LocalLimiter()


def _cache():
    return caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]


def _cache_incr(key: str, timeout: int, delta: int = 1) -> int:
    cache = _cache()
    if delta > 0 and cache.add(key, delta, timeout=timeout):
        return delta
    try:
        return cache.incr(key, delta)
    except ValueError:  # expired between add() and incr(): start the window again
        if delta > 0:
            cache.add(key, delta, timeout=timeout)
        return max(delta, 0)


def hit(*, group: str, key: str, rate: str, on_outage: str = OPEN) -> Usage | None:
    """Count one request for (`group`, `key`) in the current window; None when limits are off or
    the cache is down with `on_outage="open"`."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    window_end = (window + 1) * period
    digest = hashlib.sha256(str(key).encode("utf-8")).hexdigest()[:40]
    cache_key = f"rl:{group}:{period}:{window}:{digest}"
    retry_after = max(int(window_end - now + 0.999), 1)
    try:
        count = _cache_incr(cache_key, period + 5)
        local = False
    except Exception as exc:  # Redis down / timing out (its errors are not normalised)
        logger.error("ratelimit_cache_failed", group=group, error=type(exc).__name__, on_outage=on_outage)
        if on_outage != LOCAL:
            return None
        count, local = local_limiter.incr(cache_key, window_end), True
    return Usage(group, count, limit, retry_after, cache_key, local)


def refund(usage: Usage | None) -> None:
    """Give back the unit `usage` consumed (best effort)."""
    if usage is None:
        return
    if usage.local:
        local_limiter.incr(usage.cache_key, 0, delta=-1)
        return
    try:
        _cache().decr(usage.cache_key)
    except Exception as exc:  # expired or cache down: nothing to give back
        logger.warning("ratelimit_refund_failed", group=usage.group, error=type(exc).__name__)


def raise_limited(usage: Usage, message: str | None = None) -> None:
    logger.warning("rate_limited", group=usage.group, retry_after=usage.retry_after, local=usage.local)
    raise RateLimited(message, retry_after=usage.retry_after, details={"retry_after": usage.retry_after})


def enforce_rate(
    *, group: str, key: str, rate: str, on_outage: str = OPEN, message: str | None = None
) -> Usage | None:
    """`hit()`, then raise RateLimited when this request is over the limit."""
    usage = hit(group=group, key=key, rate=rate, on_outage=on_outage)
    if usage is not None and usage.over_limit:
        raise_limited(usage, message)
    return usage
