"""The banking app's public entry points: verify one claim, sweep the due ones.

The bank is called OUTSIDE any row lock; the answer is then applied with
`transactions.services.record_verification(expected_status=<status read before the call>)`, which
locks the row and re-checks: if someone changed the claim meanwhile we report a conflict and leave
their change alone. These functions never raise for bank trouble.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import structlog
from django.db import DatabaseError, transaction
from django.utils import timezone

from config.errors import Conflict, NotFound, PermissionDenied
from transactions import services as tx_services
from transactions.matching import Match, match_rows
from transactions.models import VERIFIABLE_STATUSES, Bank, ReasonCode, Status, Transaction

from . import metrics, selectors
from .budget import ClaimLimiter, GlobalBudget
from .client import BANESCO_BANK_ID, INTERBANK, MOBILE, TRANSFER, BanescoClient, LookupQuery, get_client
from .conf import BanescoConfig
from .models import BankLookup
from .results import (
    Found,
    LookupResult,
    PermanentFailure,
    ShortCircuited,
)
from .results import (
    NotFound as BankNotFound,
)

log = structlog.get_logger(__name__)

SWEEP_BUDGET_WAIT = 10.0


@dataclass
class VerificationOutcome:
    claim_id: object
    result: str  # completed | to_review | in_progress | unknown | canceled | skipped
    status_before: str = ""
    status_after: str = ""
    reason: str = ""
    skipped: str = (
        ""  # not_verifiable | not_due | claim_rate_limited | budget_exhausted | breaker_open | conflict
    )
    retry_after: int | None = None
    lookup: LookupResult | None = None

    @property
    def looked_up(self) -> bool:
        return self.lookup is not None and not isinstance(self.lookup, ShortCircuited)


@dataclass
class Decision:
    to_status: str
    reason: str
    next_verification_at: datetime | None
    code: str = ""  # transactions.models.ReasonCode
    bank_amount: Decimal | None = None


def query_for_claim(claim: Transaction) -> LookupQuery:
    """The look-up mode is chosen from the claim: pago móvil, Banesco→Banesco or interbank."""
    if claim.bank == Bank.MOBILE_TRANSFER:
        mode = MOBILE
    elif claim.payer_bank_code == BANESCO_BANK_ID:
        mode = TRANSFER
    else:
        mode = INTERBANK
    return LookupQuery.build(
        mode=mode,
        reference=claim.reference,
        bank_id=claim.payer_bank_code,
        phone=claim.customer_phone,
        start_date=claim.payment_date,
    )


# -- the mapping of DESIGN.md section 3 -----------------------------------------------------------
def _recheck_delay(config: BanescoConfig, attempts: int) -> timedelta:
    seconds = min(config.recheck_base_seconds * (2 ** min(attempts, 20)), config.recheck_max_seconds)
    return timedelta(seconds=seconds)


def _rows_reason(match: Match, *, claim: Transaction, rows) -> str:
    row = match.row
    if match.code == ReasonCode.DEBIT:
        return f"The bank shows a debit movement ({row.trn_type}) with this reference."
    if match.code == ReasonCode.SEVERAL_ROWS:
        return f"Several bank movements support this claim ({match.verdicts.count('')})."
    if match.code == ReasonCode.NO_CREDIT:
        return "The bank answered without any credit movement for this claim."
    if row is None:
        return {
            ReasonCode.REFERENCE_MISMATCH: "No bank movement has this reference ({n} rows with others).",
            ReasonCode.CURRENCY_MISMATCH: "The bank movements are not in bolívares ({n} rows).",
            ReasonCode.AMOUNT_MISMATCH: "Amount differs on every bank movement with this reference ({n}).",
        }[match.code].format(n=len(rows))
    if match.code == ReasonCode.REFERENCE_MISMATCH:
        return f"Reference differs: the bank shows {row.reference}, the claim says {claim.reference}."
    if match.code == ReasonCode.CURRENCY_MISMATCH:
        return f"Currency differs: the bank shows {row.currency or '(none)'}, not bolívares."
    shown = "(none)" if row.amount is None else f"{row.amount:.2f}"
    return f"Amount differs: the bank shows {shown}, the claim says {claim.amount}."


def decide(*, claim: Transaction, result: LookupResult, config: BanescoConfig, now: datetime) -> Decision:
    """Turn one bank answer into the claim's next status (pure, apart from the duplicate check)."""
    delay = _recheck_delay(config, claim.verification_attempts)
    if isinstance(result, Found):
        match = match_rows(result.rows, reference=claim.reference, amount=claim.amount)
        bank_amount = match.row.amount if match.row is not None else None
        if not match.supported:
            return Decision(
                Status.TO_REVIEW,
                _rows_reason(match, claim=claim, rows=result.rows),
                None,
                match.code,
                bank_amount,
            )
        other = selectors.reference_used_by_completed_claim(
            claim=claim,
            bank_reference=match.row.reference or claim.reference,
            mobile=claim.bank == Bank.MOBILE_TRANSFER,
        )
        if other is not None:
            return Decision(
                Status.TO_REVIEW,
                f"The bank reference is already used by completed claim {other.transaction_id}.",
                None,
                ReasonCode.DUPLICATE_REFERENCE,
                bank_amount,
            )
        return Decision(
            Status.COMPLETED,
            f"Verified with the bank: one credit movement of {bank_amount:.2f} with this reference.",
            None,
            ReasonCode.VERIFIED,
            bank_amount,
        )

    if isinstance(result, BankNotFound):
        window_end = claim.created_at + timedelta(hours=config.not_found_window_hours)
        if now >= window_end:
            return Decision(
                Status.TO_REVIEW,
                f"Not found at the bank within {config.not_found_window_hours:g} hours of the claim.",
                None,
                ReasonCode.NOT_FOUND_WINDOW,
            )
        return Decision(
            Status.IN_PROGRESS,
            "Not found at the bank yet (70001); will check again.",
            min(now + delay, window_end),
            ReasonCode.NOT_FOUND_YET,
        )

    if isinstance(result, PermanentFailure):
        if result.config_fault:
            return Decision(
                Status.UNKNOWN,
                f"Bank configuration fault ({result.code}): check {result.config_fault}.",
                now + timedelta(seconds=config.recheck_max_seconds),
                ReasonCode.CONFIG_FAULT,
            )
        return Decision(
            Status.TO_REVIEW,
            f"The bank refused the query ({result.code}: {result.description})."[:500],
            None,
            ReasonCode.BANK_REFUSED,
        )

    # RetryableFailure: retries exhausted.
    return Decision(
        Status.UNKNOWN,
        f"The bank could not be reached ({result.code}); will retry later.",
        now + delay,
        ReasonCode.BANK_UNREACHABLE,
    )


# -- one claim --------------------------------------------------------------------------------------
def verify_claim(
    *,
    claim_id,
    actor=None,
    force: bool = False,
    client: BanescoClient | None = None,
    ignore_schedule: bool | None = None,
    budget_wait: float | None = None,
) -> VerificationOutcome:
    """Verify one claim against Banesco when it is due (or when `force`d by a reconciler).

    Budgets: at most CLAIM_LOOKUPS_PER_MINUTE look-ups per claim (even when forced) and the global
    look-ups-per-second budget (waiting up to `budget_wait` s for it, default BANESCO_BUDGET_MAX_WAIT).
    Returns an outcome; never raises for bank trouble. Raises
    NotFound for an unknown claim and PermissionDenied when `actor` may not force a re-verification.
    """
    if force and actor is not None and not actor.has_perm("transactions.reverify_transaction"):
        raise PermissionDenied("You may not trigger a bank re-verification.")
    claim = Transaction.objects.alive().filter(pk=claim_id).first()
    if claim is None:
        raise NotFound("Claim not found.")
    client = client or get_client()
    return _verify(
        claim=claim,
        client=client,
        ignore_schedule=force if ignore_schedule is None else ignore_schedule,
        budget_wait=budget_wait,
    )


def _skip(claim: Transaction, why: str, **extra) -> VerificationOutcome:
    metrics.VERIFICATIONS.labels(result=f"skipped_{why}").inc()
    return VerificationOutcome(
        claim_id=claim.pk,
        result="skipped",
        status_before=claim.status,
        status_after=claim.status,
        skipped=why,
        **extra,
    )


def _verify(*, claim: Transaction, client: BanescoClient, ignore_schedule: bool, budget_wait=None):
    config = client.config
    now = timezone.now()
    if claim.status not in VERIFIABLE_STATUSES:
        return _skip(claim, "not_verifiable")
    if not ignore_schedule and claim.next_verification_at and claim.next_verification_at > now:
        return _skip(claim, "not_due")
    allowed, retry_after = ClaimLimiter(config).try_acquire(claim.pk)
    if not allowed:
        return _skip(claim, "claim_rate_limited", retry_after=retry_after)
    wait = config.budget_max_wait if budget_wait is None else budget_wait
    if not GlobalBudget(config).acquire(max_wait=wait):
        return _skip(claim, "budget_exhausted", retry_after=1)

    status_before = claim.status
    query = query_for_claim(claim)
    result = client.lookup(query)
    if isinstance(result, ShortCircuited):
        metrics.RATE_LIMIT_REJECTIONS.labels(scope="bank").inc()
        return _skip(claim, "breaker_open", retry_after=int(config.breaker_cooldown_seconds), lookup=result)

    decision = decide(claim=claim, result=result, config=config, now=timezone.now())
    if result.config_fault:
        log.error(
            "banesco.config_fault",
            claim_id=str(claim.pk),
            code=result.code,
            http_status=result.http_status,
            setting=result.config_fault,
            detail=result.description,
        )
    lookup = BankLookup.objects.create(
        claim_id=claim.pk,
        environment=config.environment,
        mode=query.mode,
        request=query.summary(),
        body=result.raw,
        outcome=result.kind,
        code=(result.code or "")[:32],
        http_status=result.http_status,
        attempts=min(result.attempts, 32767),
        duration_ms=result.duration_ms,
        decided_status=decision.to_status,
    )
    try:
        updated = tx_services.record_verification(
            claim_id=claim.pk,
            expected_status=status_before,
            to_status=decision.to_status,
            reason=decision.reason,
            reason_code=decision.code,
            lookup=lookup,
            bank_amount=decision.bank_amount,
            next_verification_at=decision.next_verification_at,
            count_attempt=not result.config_fault,
        )
    except Conflict:
        log.info("banesco.verification.conflict", claim_id=str(claim.pk), expected_status=status_before)
        return _skip(claim, "conflict", lookup=result)
    outcome = VerificationOutcome(
        claim_id=claim.pk,
        result=updated.status.lower(),
        status_before=status_before,
        status_after=updated.status,
        reason=decision.reason,
        lookup=result,
    )
    metrics.VERIFICATIONS.labels(result=outcome.result).inc()
    return outcome


# -- the sweep -------------------------------------------------------------------------------------
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
                outcome = _verify(
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
