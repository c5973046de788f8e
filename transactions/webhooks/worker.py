"""The delivery loop behind `manage.py webhook_worker`.

N threads each lease one due delivery, send it, record the outcome, and repeat; when nothing is
due they sleep until PostgreSQL `NOTIFY webhook_outbox` (sent by the outbox write, on commit) or
the poll interval wakes them. SIGTERM/SIGINT stop taking new work; deliveries in flight finish.
Several workers on several machines share the queue (SKIP LOCKED leases).
"""

from __future__ import annotations

import signal
import threading

import structlog
from django.db import close_old_connections, connection, connections
from django.utils import timezone

from transactions.webhooks import services

logger = structlog.get_logger(__name__)


def deliver_next(*, due_before=None) -> bool:
    """Lease, send and record one due delivery. False when nothing was due."""
    leased = services.delivery_lease(limit=1, due_before=due_before)
    if not leased:
        return False
    delivery = leased[0]
    result = services.delivery_send(delivery)
    recorded = services.delivery_record(delivery=delivery, result=result)
    logger.info(
        "webhook.attempt",
        delivery_id=delivery.pk,
        event_id=delivery.event.payload["id"],
        endpoint_id=str(delivery.endpoint_id),
        status_code=result.status_code,
        duration_ms=result.duration_ms,
        error=result.error,
        outcome=recorded.status if recorded else "lease_lost",
    )
    return True


def deliver_due() -> int:
    """Deliver what is due now, one at a time, and return how many were attempted (`--once`).
    A delivery that fails is rescheduled after the start of the run, so it is tried once."""
    started, count = timezone.now(), 0
    while deliver_next(due_before=started):
        count += 1
    return count


class Worker:
    def __init__(self, *, threads: int, poll_seconds: float):
        self.threads = max(1, threads)
        self.poll_seconds = poll_seconds
        self.stop = threading.Event()
        self.wake = threading.Event()

    def install_signal_handlers(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop.set())

    def _deliver_loop(self) -> None:
        try:
            while not self.stop.is_set():
                close_old_connections()
                try:
                    busy = deliver_next()
                except Exception:
                    logger.exception("webhook worker step failed")
                    busy = False
                    self.stop.wait(self.poll_seconds)
                if busy:
                    self.wake.set()  # there may be more: idle sibling threads look too
                else:
                    self.wake.wait(self.poll_seconds)
                    if not self.stop.is_set():  # never swallow the wake-up that announces a stop
                        self.wake.clear()
        finally:
            connections.close_all()

    def _listen_loop(self) -> None:
        """Wake the delivery threads on NOTIFY (PostgreSQL only; elsewhere polling alone)."""
        try:
            while not self.stop.is_set():
                try:
                    connection.ensure_connection()
                    raw = connection.connection
                    raw.execute(f"LISTEN {services.NOTIFY_CHANNEL}")
                    while not self.stop.is_set():
                        # Short waits so that a stop request is seen within a second.
                        for _ in raw.notifies(timeout=1.0, stop_after=1):
                            self.wake.set()
                except Exception:
                    logger.exception("webhook worker LISTEN failed; polling until it reconnects")
                    connection.close()
                    self.stop.wait(self.poll_seconds)
        finally:
            connections.close_all()

    def run(self) -> None:
        workers = [
            threading.Thread(target=self._deliver_loop, name=f"webhook-{i}", daemon=True)
            for i in range(self.threads)
        ]
        if connection.vendor == "postgresql":
            workers.append(threading.Thread(target=self._listen_loop, name="webhook-listen", daemon=True))
        for thread in workers:
            thread.start()
        while not self.stop.wait(0.5):
            pass
        self.wake.set()  # after stop is set: see _deliver_loop
        for thread in workers:
            thread.join()
