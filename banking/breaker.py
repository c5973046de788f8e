"""Circuit breaker with its state in the shared cache (so every process agrees).

closed -> open after `threshold` consecutive bank failures; open short-circuits look-ups for
`cooldown` seconds; then half-open: exactly one trial look-up is let through (a cache `add`);
its success closes the breaker, its failure opens it again for another cool-down.
"""

from __future__ import annotations

import time

import structlog

from . import metrics
from .cache import incr, shared_cache
from .conf import BanescoConfig

log = structlog.get_logger(__name__)

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
_GAUGE = {CLOSED: 0, OPEN: 1, HALF_OPEN: 2}


class CircuitBreaker:
    def __init__(self, config: BanescoConfig, *, clock=time.time):
        self.threshold = max(1, config.breaker_threshold)
        self.cooldown = max(0.1, config.breaker_cooldown_seconds)
        self.clock = clock
        prefix = f"{config.cache_prefix}:breaker:{config.environment}"
        self.failures_key = f"{prefix}:failures"
        self.opened_key = f"{prefix}:opened_until"
        self.trial_key = f"{prefix}:trial"
        # State outlives the cool-down by far; keys are deleted on close.
        self.ttl = max(3600, int(self.cooldown * 10))

    def state(self) -> str:
        opened_until = shared_cache().get(self.opened_key)
        if opened_until is None:
            return CLOSED
        return OPEN if self.clock() < opened_until else HALF_OPEN

    def allow(self) -> bool:
        """May a look-up go to the bank now? In half-open, only the first caller gets True."""
        cache = shared_cache()
        opened_until = cache.get(self.opened_key)
        if opened_until is None:
            return True
        if self.clock() < opened_until:
            metrics.BREAKER_STATE.set(_GAUGE[OPEN])
            return False
        metrics.BREAKER_STATE.set(_GAUGE[HALF_OPEN])
        return bool(cache.add(self.trial_key, 1, timeout=self.cooldown))

    def record_success(self) -> None:
        cache = shared_cache()
        if cache.get(self.opened_key) is not None:
            log.info("banesco.breaker.closed")
        cache.delete_many([self.failures_key, self.opened_key, self.trial_key])
        metrics.BREAKER_STATE.set(_GAUGE[CLOSED])

    def record_failure(self) -> None:
        cache = shared_cache()
        failures = incr(self.failures_key, timeout=self.ttl)
        was_open = cache.get(self.opened_key) is not None
        if was_open or failures >= self.threshold:
            cache.set(self.opened_key, self.clock() + self.cooldown, timeout=self.ttl)
            cache.delete(self.trial_key)
            metrics.BREAKER_STATE.set(_GAUGE[OPEN])
            log.warning("banesco.breaker.opened", consecutive_failures=failures, cooldown=self.cooldown)

    def reset(self) -> None:
        shared_cache().delete_many([self.failures_key, self.opened_key, self.trial_key])
        metrics.BREAKER_STATE.set(_GAUGE[CLOSED])
