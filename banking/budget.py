"""Look-up budgets in the shared cache: a global look-ups-per-second budget for all processes,
and at most N look-ups per claim in any 60-second window.
"""

from __future__ import annotations

import math
import time

from . import metrics
from .cache import incr, shared_cache
from .conf import BanescoConfig

CLAIM_WINDOW_SECONDS = 60


class GlobalBudget:
    """Fixed one-second windows counted with an atomic cache increment."""

    def __init__(self, config: BanescoConfig, *, clock=time.time, sleep=time.sleep):
        self.per_second = max(1, config.lookups_per_second)
        self.prefix = f"{config.cache_prefix}:budget:{config.environment}"
        self.clock = clock
        self.sleep = sleep

    def try_acquire(self) -> bool:
        second = int(self.clock())
        return incr(f"{self.prefix}:{second}", timeout=5) <= self.per_second

    def acquire(self, *, max_wait: float) -> bool:
        """Take one look-up from the budget, waiting for the next second(s) up to `max_wait`."""
        deadline = self.clock() + max_wait
        while True:
            if self.try_acquire():
                return True
            now = self.clock()
            wait = math.floor(now) + 1 - now + 0.001
            if now + wait > deadline:
                metrics.RATE_LIMIT_REJECTIONS.labels(scope="global").inc()
                return False
            self.sleep(wait)


class ClaimLimiter:
    """N slots per claim, each held for 60 s after use: a true sliding-window limit."""

    def __init__(self, config: BanescoConfig, *, clock=time.time):
        self.limit = max(1, config.claim_lookups_per_minute)
        self.prefix = f"{config.cache_prefix}:claim-lookups:{config.environment}"
        self.clock = clock

    def try_acquire(self, claim_id) -> tuple[bool, int]:
        """(allowed, retry_after_seconds)."""
        cache = shared_cache()
        now = self.clock()
        for key in self._keys(claim_id):
            if cache.add(key, now, timeout=CLAIM_WINDOW_SECONDS):
                return True, 0
        metrics.RATE_LIMIT_REJECTIONS.labels(scope="claim").inc()
        return False, max(1, self.retry_after(claim_id))

    def free_slots(self, claim_id) -> int:
        """How many look-ups the claim may make right now (takes no slot)."""
        taken = [t for t in shared_cache().get_many(self._keys(claim_id)).values() if t is not None]
        return max(0, self.limit - len(taken))

    def retry_after(self, claim_id) -> int:
        """Seconds until `try_acquire` would succeed (0: a slot is free now). Takes no slot."""
        taken = [t for t in shared_cache().get_many(self._keys(claim_id)).values() if t is not None]
        if len(taken) < self.limit:
            return 0
        return max(1, math.ceil(min(taken) + CLAIM_WINDOW_SECONDS - self.clock()))

    def _keys(self, claim_id) -> list[str]:
        return [f"{self.prefix}:{claim_id}:{slot}" for slot in range(self.limit)]
