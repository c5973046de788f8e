"""The sweep: lease due claims (SELECT … FOR UPDATE SKIP LOCKED) and verify them one by one."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import DatabaseError, transaction
from django.utils import timezone

from banking.client import BanescoClient, get_client
from transactions import selectors
from transactions.models import Transaction
from transactions.verification.claim import VerificationOutcome, verify_loaded_claim

SWEEP_BUDGET_WAIT = 10.0


def lease_due_claims(*, batch_size: int, lease_seconds: int, now=None) -> list[tuple[object, str]]:
    """Claim a small batch of due claims for this sweeper: SELECT … FOR UPDATE SKIP LOCKED, then push
    their `next_verification_at` forward (a lease) in the same short transaction, so no other sweeper
    picks them while we call the bank (without holding any lock during the HTTP call).

    Bookkeeping only (never a status change, so no audit event): the verification that follows
    writes the real `next_verification_at` through `transactions.services.record_verification`.
    """
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            selectors.claims_due_for_verification(now=now)
            .order_by("next_verification_at", "created_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", "status")[:batch_size]
        )
        if rows:
            Transaction.objects.filter(pk__in=[pk for pk, _ in rows]).update(
                next_verification_at=now + timedelta(seconds=lease_seconds)
            )
    return rows


@dataclass
class SweepSummary:
    checked: int = 0
    completed: int = 0
    to_review: int = 0
    still_pending: int = 0
    unknown: int = 0
    skipped: int = 0
    failed: int = 0
    lookups: int = 0
    skipped_reasons: dict = field(default_factory=dict)

    def add(self, outcome: VerificationOutcome) -> None:
        self.checked += 1
        if outcome.looked_up:
            self.lookups += 1
        if outcome.result == "skipped":
            self.skipped += 1
            self.skipped_reasons[outcome.skipped] = self.skipped_reasons.get(outcome.skipped, 0) + 1
        elif outcome.result == "completed":
            self.completed += 1
        elif outcome.result == "to_review":
            self.to_review += 1
        elif outcome.result == "in_progress":
            self.still_pending += 1
        elif outcome.result == "unknown":
            self.unknown += 1

    def merge(self, other: SweepSummary) -> None:
        for name in (
            "checked",
            "completed",
            "to_review",
            "still_pending",
            "unknown",
            "skipped",
            "failed",
            "lookups",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, value in other.skipped_reasons.items():
            self.skipped_reasons[key] = self.skipped_reasons.get(key, 0) + value

    def as_dict(self) -> dict:
        return {
            "checked": self.checked,
            "completed": self.completed,
            "to_review": self.to_review,
            "still_pending": self.still_pending,
            "unknown": self.unknown,
            "skipped": self.skipped,
            "failed": self.failed,
            "lookups": self.lookups,
        }


def verify_due_claims(
    *,
    limit: int | None = None,
    batch_size: int = 10,
    client: BanescoClient | None = None,
    on_progress: Callable[[SweepSummary], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SweepSummary:
    """Verify due claims batch by batch until none is left (or `limit` is reached).

    Safe to run in any number of processes/threads at once: each batch is leased under SKIP LOCKED.
    Failures are counted per claim and the sweep carries on.
    """
    client = client or get_client()
    summary = SweepSummary()
    while limit is None or summary.checked < limit:
        if should_stop and should_stop():
            break
        size = batch_size if limit is None else max(1, min(batch_size, limit - summary.checked))
        try:
            batch = lease_due_claims(batch_size=size, lease_seconds=client.config.sweep_lease_seconds)
        except DatabaseError:
            # The database went away (restart, failover): stop this sweep, keep and report what was
            # done; leased claims become due again when their lease ends.
            summary.failed += 1
            logging.getLogger(__name__).exception("sweep stopped: could not lease due claims")
            break
        if not batch:
            break
        for pk, _status in batch:
            try:
                claim = Transaction.objects.alive().filter(pk=pk).first()
                if claim is None:
                    continue
                outcome = verify_loaded_claim(
                    claim=claim, client=client, ignore_schedule=True, budget_wait=SWEEP_BUDGET_WAIT
                )
                summary.add(outcome)
            except Exception:  # one bad claim must not stop the sweep
                summary.checked += 1
                summary.failed += 1
                logging.getLogger(__name__).exception("verification of claim %s failed", pk)
            if on_progress:
                on_progress(summary)
    return summary
