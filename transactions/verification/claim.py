"""Verify one claim: budgets, one look-up (outside any row lock), the decision, the write.

The answer is applied with `transactions.services.record_verification(expected_status=<status
read before the call>)`, which locks the row and re-checks: if someone changed the claim meanwhile
we report a conflict and leave their change alone. Never raises for bank trouble.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from django.utils import timezone

from banking import metrics
from banking import services as banking_services
from banking.budget import ClaimLimiter, GlobalBudget
from banking.client import BanescoClient, get_client
from banking.results import LookupResult, ShortCircuited
from config.errors import Conflict, NotFound, PermissionDenied
from transactions import services as tx_services
from transactions.models import VERIFIABLE_STATUSES, Transaction
from transactions.verification.decision import decide, query_for_claim

log = structlog.get_logger(__name__)


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


def verify_claim(
    *,
    claim_id,
    actor=None,
    force: bool = False,
    client: BanescoClient | None = None,
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
    return verify_loaded_claim(claim=claim, client=client, ignore_schedule=force, budget_wait=budget_wait)


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


def verify_loaded_claim(
    *, claim: Transaction, client: BanescoClient, ignore_schedule: bool, budget_wait: float | None = None
) -> VerificationOutcome:
    """`verify_claim` for a claim already read (the sweep leases and reads its batch itself)."""
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
    lookup = banking_services.record_lookup(
        query=query, result=result, config=config, claim_id=claim.pk, decided_status=decision.to_status
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
