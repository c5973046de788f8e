"""How long transactions wait on PostgreSQL locks during a load run, by sampling pg_stat_activity.

A thread of the bench process (its own connection, autocommit) looks every `interval` seconds at
the backends of one database and notes which are active and what each waits on
(`wait_event_type`: Lock = a heavyweight lock — advisory locks (the audit chains), row locks
(`transactionid`/`tuple`), NOTIFY's queue lock (`object`) —, LWLock, IO, … or none = on a CPU).
Samples of one backend with the same `xact_start` belong to one transaction, so its lock wait is
≈ its number of Lock samples × the interval. `summary(transactions=N)` spreads that over the N
transactions the run made (the creates wrk counted: those never seen waiting waited ~0) and gives
p50/p99/max of the per-transaction lock wait, the share of active backend time spent waiting on
locks, and which locks.

Resolution is the interval (default 10 ms: a wait shorter than that is seen with probability
wait / interval, so sums and shares are unbiased but single short waits are quantised). The
sampler's own query costs ~0.2 ms of PostgreSQL CPU per sample (≈ 2 % of one core at 10 ms).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict

SAMPLE_SQL = (
    "SELECT pid, xact_start, state, wait_event_type, wait_event FROM pg_stat_activity "
    "WHERE datname = %s AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
)


class LockWaitSampler:
    def __init__(self, dsn: str, dbname: str, *, interval: float = 0.01):
        self.dsn = dsn
        self.dbname = dbname
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.samples = 0
        self.active = 0  # active-backend samples (denominator of the shares)
        self.by_wait: Counter = Counter()  # (wait_event_type or "CPU", wait_event) -> samples
        self.lock_waits: dict[tuple, int] = defaultdict(int)  # (pid, xact_start) -> Lock samples
        self.seconds = 0.0
        self.error: str | None = None

    def start(self) -> LockWaitSampler:
        self._thread = threading.Thread(target=self._run, name="lockwait-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> LockWaitSampler:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        return self

    def _run(self) -> None:
        import psycopg

        try:
            with psycopg.connect(self.dsn, autocommit=True) as conn:
                began = time.perf_counter()
                next_at = began
                while not self._stop.is_set():
                    rows = conn.execute(SAMPLE_SQL, [self.dbname]).fetchall()
                    self.samples += 1
                    for pid, xact_start, state, wait_type, wait_event in rows:
                        if state != "active":
                            continue
                        self.active += 1
                        self.by_wait[(wait_type or "CPU", wait_event or "")] += 1
                        if wait_type == "Lock":
                            self.lock_waits[(pid, xact_start)] += 1
                    next_at += self.interval
                    delay = next_at - time.perf_counter()
                    if delay > 0:
                        self._stop.wait(delay)
                    else:
                        next_at = time.perf_counter()  # fell behind: no burst to catch up
                self.seconds = time.perf_counter() - began
        except Exception as exc:  # reported, never fatal to the run it watches
            self.error = repr(exc)

    def summary(self, *, transactions: int) -> dict:
        """Per-transaction lock wait (ms) over `transactions` transactions, and the wait shares."""
        # The real spacing of the samples (the query itself takes time), not the nominal one.
        step = self.seconds / self.samples if self.samples else self.interval
        waits = sorted(n * step * 1000 for n in self.lock_waits.values())
        n = max(transactions, len(waits))
        padded = [0.0] * (n - len(waits)) + waits

        def pct(q: float) -> float:
            return padded[min(n - 1, round(q * (n - 1)))] if n else 0.0

        lock_samples = sum(v for (kind, _), v in self.by_wait.items() if kind == "Lock")
        top = [
            (f"{kind}:{event}" if event else kind, v / self.active if self.active else 0.0)
            for (kind, event), v in self.by_wait.most_common(6)
        ]
        return {
            "transactions": n,
            "waited": len(waits),
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "max_ms": waits[-1] if waits else 0.0,
            "lock_share": lock_samples / self.active if self.active else 0.0,
            "top": top,
            "interval_ms": step * 1000,
            "samples": self.samples,
            "error": self.error,
        }


def describe(summary: dict) -> str:
    """One line: per-transaction lock wait and what active backends were doing."""
    if summary.get("error"):
        return f"lock-wait sampling failed: {summary['error']}"
    top = ", ".join(f"{name} {share:.0%}" for name, share in summary["top"])
    return (
        f"lock wait per transaction p50 {summary['p50_ms']:.1f} ms, p99 {summary['p99_ms']:.1f} ms, "
        f"max {summary['max_ms']:.1f} ms ({summary['waited']} of {summary['transactions']} seen waiting; "
        f"sampled every {summary['interval_ms']:.1f} ms); active backends: {top}"
    )
