"""The verification queue: PostgreSQL is the queue, the claim row is the job.

A claim is due for a bank look-up when it is IN_PROGRESS/UNKNOWN and its `next_verification_at`
has come. The `verification_worker` command (transactions/worker.py) leases due claims with
`SELECT … FOR UPDATE SKIP LOCKED` and looks them up; web requests never call the bank. To make the
workers react within about a second instead of at their next poll, the services that make a claim
due *now* (create, re-verify request) send a PostgreSQL `NOTIFY` on `CHANNEL` inside their
transaction: PostgreSQL delivers it at commit, and never for a rollback.

This module has no bank client: it only writes bookkeeping (`next_verification_at`) and reads.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from banking.budget import ClaimLimiter
from banking.conf import get_config
from config.errors import Conflict, NotFound, PermissionDenied, RateLimited, ValidationFailed
from transactions.models import VERIFIABLE_STATUSES, Transaction

CHANNEL = "claims_verification_due"
MAX_WAIT_SECONDS = 10
WAIT_POLL_SECONDS = 0.1
REVERIFY_PERMISSION = "transactions.reverify_transaction"


def notify_due(claim_id) -> None:
    """Wake the verification workers for `claim_id` (payload: its UUID).

    Inside a transaction the notification leaves at commit (nothing is sent for a rollback). On
    databases without LISTEN/NOTIFY (SQLite, local runs) it does nothing: the workers poll.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(claim_id)])


@dataclass(frozen=True)
class VerificationRequest:
    """What `claim_request_verification` returns.

    `claim`: the claim as stored when the call returns (fresh from the database).
    `requested_at`: when the re-check was asked for.
    `done`: True when the worker looked the claim up (or its status moved) while we waited; False
    when no wait was asked for or the wait ended first (the look-up is still queued).
    """

    claim: Transaction
    requested_at: datetime
    done: bool


def _retry_after_seconds(claim_id) -> int:
    """Seconds until the claim may be looked up again (0 = now), without using a look-up slot."""
    return ClaimLimiter(get_config()).retry_after(claim_id)


def claim_request_verification(*, claim, actor, wait: float = 0) -> VerificationRequest:
    """Ask the verification worker to re-check one claim with the bank now. Never calls the bank.

    Used by `POST /api/v1/transactions/{transaction_id}/verify/`, the admin's "re-verify now" and
    the manager UI's refresh. Keyword-only:

    * `claim`: a `Transaction` (or its primary key).
    * `actor`: the user asking. Needs `transactions.reverify_transaction`; a user who cannot read
      every claim (a client) may only ask for their own claims (others: NotFound, like a read).
    * `wait`: seconds, 0 to 10, to wait for the worker's look-up; 0 returns at once.

    Marks the claim due now (`next_verification_at`), commits and NOTIFYs the workers. Returns a
    `VerificationRequest` (`done` tells whether the outcome is in `claim`). Raises
    `ValidationFailed` (wait out of range), `PermissionDenied`, `NotFound`, `Conflict` (code
    `not_verifiable`: only IN_PROGRESS/UNKNOWN claims are looked up) and `RateLimited` (the claim
    already had its look-ups of the last minute, `BANESCO_CLAIM_LOOKUPS_PER_MINUTE`, default 2;
    `retry_after` says when the next one is allowed).
    """
    if not (0 <= wait <= MAX_WAIT_SECONDS):
        raise ValidationFailed(
            _("wait must be between 0 and %(max)s seconds.") % {"max": MAX_WAIT_SECONDS},
            details={"wait": [_("Between 0 and %(max)s.") % {"max": MAX_WAIT_SECONDS}]},
        )
    if actor is None or not actor.has_perm(REVERIFY_PERMISSION):
        raise PermissionDenied(_("You may not ask for a bank re-verification."))
    pk = claim.pk if isinstance(claim, Transaction) else claim
    with transaction.atomic():
        try:
            locked = Transaction.objects.select_for_update().get(pk=pk, deleted_at__isnull=True)
        except (Transaction.DoesNotExist, ValueError):
            raise NotFound(_("Payment claim not found.")) from None
        if locked.created_by_id != actor.pk and not actor.has_perm("transactions.view_all_transactions"):
            raise NotFound(_("Payment claim not found."))
        if locked.status not in VERIFIABLE_STATUSES:
            raise Conflict(
                _("Only claims in progress or unknown are verified with the bank; this one is %(status)s.")
                % {"status": locked.get_status_display()},
                code="not_verifiable",
                details={"status": locked.status},
            )
        retry_after = _retry_after_seconds(locked.pk)
        if retry_after:
            raise RateLimited(
                _("This claim was looked up at the bank too often in the last minute; try again later."),
                retry_after=retry_after,
            )
        requested_at = timezone.now()
        attempts = locked.verification_attempts
        if locked.next_verification_at is None or locked.next_verification_at > requested_at:
            Transaction.objects.filter(pk=locked.pk).update(next_verification_at=requested_at)
        notify_due(locked.pk)
    if wait:
        return _wait_for_outcome(pk=pk, attempts=attempts, requested_at=requested_at, wait=wait)
    return VerificationRequest(claim=Transaction.objects.get(pk=pk), requested_at=requested_at, done=False)


def _wait_for_outcome(*, pk, attempts: int, requested_at: datetime, wait: float) -> VerificationRequest:
    """Re-read the claim until the worker recorded a look-up (attempts went up) or `wait` ends."""
    deadline = time.monotonic() + wait
    while True:
        claim = Transaction.objects.get(pk=pk)
        if claim.verification_attempts > attempts or claim.status not in VERIFIABLE_STATUSES:
            return VerificationRequest(claim=claim, requested_at=requested_at, done=True)
        if time.monotonic() + WAIT_POLL_SECONDS > deadline:
            return VerificationRequest(claim=claim, requested_at=requested_at, done=False)
        time.sleep(WAIT_POLL_SECONDS)


# -- leases (the worker's bookkeeping; never a status change, so no audit event) ---------------------
def release_leases(*, claim_ids, lease_until: datetime, due_at: datetime | None = None) -> int:
    """Give back leased claims the worker did not process: due again at `due_at` (default now).

    Only rows still carrying this lease (`next_verification_at == lease_until`) are touched, so a
    claim that another worker re-leased or a verification rescheduled is left alone.
    """
    if not claim_ids:
        return 0
    return Transaction.objects.filter(
        pk__in=list(claim_ids), status__in=VERIFIABLE_STATUSES, next_verification_at=lease_until
    ).update(next_verification_at=due_at or timezone.now())


def next_due_in(*, now: datetime | None = None) -> float | None:
    """Seconds until the earliest verifiable claim is due (0 when one is due now; None: none)."""
    now = now or timezone.now()
    row = (
        Transaction.objects.alive()
        .filter(status__in=VERIFIABLE_STATUSES)
        .order_by(F("next_verification_at").asc(nulls_first=True))
        .values_list("pk", "next_verification_at")
        .first()
    )
    if row is None:
        return None
    if row[1] is None:
        return 0.0
    return max(0.0, (row[1] - now) / timedelta(seconds=1))
