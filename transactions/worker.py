"""The verification worker: the only place claims are looked up at the bank (`manage.py
verification_worker`).

Loop: lease a small batch of due claims (`lease_due_claims`: SELECT … FOR UPDATE SKIP LOCKED, then
push their `next_verification_at` forward by the lease), verify each (`verify_claim`: the bank
call outside any row lock, the outcome recorded under one), until nothing is due; then wait for a
PostgreSQL NOTIFY on `verification_queue.CHANNEL` (sent at commit by the create and re-verify
services), for the next scheduled re-check, or for the poll interval, whichever comes first.
SQLite has no LISTEN: there the worker only polls.

Any number of workers on any number of machines share the work (the lease). `stop()` (SIGTERM,
SIGINT) lets the claim in hand finish and gives the rest of the batch back at once (due now), so
nothing waits for a lease to expire.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from datetime import timedelta

import psycopg
import structlog
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from banking.client import BanescoClient, get_client
from config.errors import NotFound
from config.metrics import counter, gauge, histogram
from transactions.models import Transaction
from transactions.selectors import claims_due_for_verification
from transactions.verification import lease_due_claims, verify_claim
from transactions.verification_queue import CHANNEL, next_due_in, release_leases

log = structlog.get_logger("transactions.worker")

# How long one claim may wait for the global look-ups-per-second budget before it is put back.
BUDGET_WAIT_SECONDS = 10.0
# Longest single sleep, so that stop() is honoured promptly whatever the poll interval.
WAIT_SLICE_SECONDS = 0.25
DB_RETRY_SECONDS = 2.0

CLAIMS = counter(
    "verification_worker_claims_total",
    "Claims the verification worker processed, by result (completed, to_review, in_progress, "
    "unknown, skipped_<why>, failed).",
    ["result"],
)
QUEUE_DEPTH = gauge(
    "verification_worker_queue_depth",
    "Claims due for a bank look-up now, as last counted by a verification worker.",
    multiprocess_mode="livemax",
)
FIRST_LOOKUP = histogram(
    "verification_worker_first_lookup_seconds",
    "Time from a claim's creation to its first bank look-up.",
    buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0),
)
WAKEUPS = counter(
    "verification_worker_wakeups_total",
    "Why the verification worker woke up (notify, poll, scheduled).",
    ["reason"],
)
LEASES_RELEASED = counter(
    "verification_worker_leases_released_total",
    "Leased claims given back unprocessed (stop) or rescheduled (budget, breaker).",
)


@dataclass
class WorkerStats:
    processed: int = 0
    looked_up: int = 0
    skipped: int = 0
    failed: int = 0
    released: int = 0
    wakeups: dict = field(default_factory=dict)


class Listener:
    """A dedicated autocommit psycopg connection that LISTENs on the queue's channel."""

    def __init__(self):
        params = connection.get_connection_params()
        self.conn = psycopg.connect(**params, autocommit=True)
        self.conn.execute(f"LISTEN {CHANNEL}")

    def wait(self, timeout: float) -> bool:
        """True when a notification arrived within `timeout` seconds."""
        for _notify in self.conn.notifies(timeout=timeout, stop_after=1):
            return True
        return False

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self.conn.close()


class VerificationWorker:
    def __init__(
        self,
        *,
        poll_interval: float = 5.0,
        batch_size: int = 5,
        client: BanescoClient | None = None,
        listen: bool = True,
        lease_seconds: int | None = None,
    ):
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.client = client or get_client()
        self.listen = listen and connection.vendor == "postgresql"
        self.lease_seconds = lease_seconds or self.client.config.sweep_lease_seconds
        self.stats = WorkerStats()
        self._stopping = False
        self._listener: Listener | None = None
        self.waiting = False  # True while idle between passes (tests and diagnostics)

    # -- control ---------------------------------------------------------------------------------
    def stop(self, *_args) -> None:
        """Ask the worker to stop after the claim in hand (safe from a signal handler)."""
        self._stopping = True

    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def mode(self) -> str:
        return "listen" if self._listener is not None else "poll"

    def run(self, *, once: bool = False) -> WorkerStats:
        """Process what is due; with `once`, exit then; else wait for work until stopped."""
        try:
            if self.listen and not once:
                self._open_listener()  # before the first drain: nothing committed meanwhile is missed
            while not self._stopping:
                if not once:
                    close_old_connections()  # long-running: drop broken or expired connections
                try:
                    self.drain()
                    depth = claims_due_for_verification().count()
                    QUEUE_DEPTH.set(depth)
                except DatabaseError:
                    if once:
                        raise
                    log.exception("verification_worker.database_error")
                    connection.close()
                    self._sleep(DB_RETRY_SECONDS)
                    continue
                if once:
                    break
                self._wake(self._wait())
        finally:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            if not once:
                connection.close()
        return self.stats

    # -- one pass over the due claims ----------------------------------------------------------------
    def drain(self) -> None:
        """Lease and verify batches until none is due (or stop() was called)."""
        while not self._stopping:
            now = timezone.now()
            batch = lease_due_claims(batch_size=self.batch_size, lease_seconds=self.lease_seconds, now=now)
            if not batch:
                return
            lease_until = now + timedelta(seconds=self.lease_seconds)
            pks = [pk for pk, _status in batch]
            facts = {
                pk: (created_at, attempts)
                for pk, created_at, attempts in Transaction.objects.filter(pk__in=pks).values_list(
                    "pk", "created_at", "verification_attempts"
                )
            }
            for index, pk in enumerate(pks):
                if self._stopping:
                    self._release(pks[index:], lease_until)
                    return
                self._verify_one(pk, facts.get(pk), lease_until)

    def _verify_one(self, pk, facts, lease_until) -> None:
        started = time.monotonic()
        try:
            outcome = verify_claim(
                claim_id=pk, force=True, client=self.client, budget_wait=BUDGET_WAIT_SECONDS
            )
        except NotFound:  # soft-deleted since it was leased
            return
        except Exception:  # one bad claim must not stop the worker; its lease makes it due later
            self.stats.processed += 1
            self.stats.failed += 1
            CLAIMS.labels(result="failed").inc()
            log.exception("verification_worker.claim_failed", claim_id=str(pk))
            return
        self.stats.processed += 1
        result = outcome.result if outcome.result != "skipped" else f"skipped_{outcome.skipped}"
        CLAIMS.labels(result=result).inc()
        if outcome.looked_up:
            self.stats.looked_up += 1
            if facts is not None and facts[1] == 0:
                FIRST_LOOKUP.observe(max(0.0, (timezone.now() - facts[0]).total_seconds()))
        if outcome.result == "skipped":
            self.stats.skipped += 1
            if outcome.retry_after:  # budget, per-claim limit, breaker: back when it may succeed
                due = timezone.now() + timedelta(seconds=outcome.retry_after)
                self._release([pk], lease_until, due_at=due, stopping=False)
        log.info(
            "verification_worker.claim",
            claim_id=str(pk),
            result=result,
            status_before=outcome.status_before,
            status_after=outcome.status_after,
            code=getattr(outcome.lookup, "code", "") or "",
            duration_ms=round((time.monotonic() - started) * 1000, 1),
        )

    def _release(self, pks, lease_until, *, due_at=None, stopping: bool = True) -> None:
        released = release_leases(claim_ids=pks, lease_until=lease_until, due_at=due_at)
        if released:
            LEASES_RELEASED.inc(released)
        if stopping:
            self.stats.released += released
            log.info("verification_worker.leases_released", count=released)

    # -- waiting ---------------------------------------------------------------------------------
    def _open_listener(self) -> None:
        try:
            self._listener = Listener()
        except psycopg.Error:
            self._listener = None
            log.exception("verification_worker.listen_failed; polling only")

    def _wait(self) -> str:
        """Block until a NOTIFY, the next scheduled re-check or the poll interval. Returns why."""
        if self.listen and self._listener is None:
            self._open_listener()  # lost earlier: try LISTEN again, once per wait
        due_in = next_due_in()
        timeout, reason = self.poll_interval, "poll"
        if due_in is not None and due_in < timeout:
            timeout, reason = due_in, "scheduled"
        deadline = time.monotonic() + timeout
        self.waiting = True
        try:
            return self._wait_until(deadline, reason)
        finally:
            self.waiting = False

    def _wait_until(self, deadline: float, reason: str) -> str:
        while not self._stopping:
            left = deadline - time.monotonic()
            if left <= 0:
                return reason
            slice_ = min(left, WAIT_SLICE_SECONDS)
            if self._listener is None:
                time.sleep(slice_)
                continue
            try:
                if self._listener.wait(slice_):
                    return "notify"
            except psycopg.Error:
                log.warning("verification_worker.listen_lost; polling until it is back")
                self._listener.close()
                self._listener = None
        return "stop"

    def _wake(self, reason: str) -> None:
        self.stats.wakeups[reason] = self.stats.wakeups.get(reason, 0) + 1
        WAKEUPS.labels(reason=reason).inc()

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._stopping and time.monotonic() < deadline:
            time.sleep(min(WAIT_SLICE_SECONDS, deadline - time.monotonic()))
