"""Writes to payment claims. The only code that creates a Transaction or changes its status.

Every status change: one call to `transition` (or `record_verification`), one DB transaction,
a row lock (`select_for_update`) taken *before* the current status is checked, and exactly one
audit event with the before/after of the changed fields.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import ADMIN
from audit import services as audit_services
from audit.actions import ADMIN_ACTION, TRANSACTION_STATUS_CHANGED, TRANSACTION_VERIFIED
from audit.chain import snapshot as _snapshot
from config.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from transactions.creation import (  # noqa: F401  (create is part of this module's API)
    CREATE_RATE_GROUP,
    IDEMPOTENCY_FIELDS,
    UNIQUE_REFERENCE,
    UNIQUE_TRANSACTION_ID,
    claim_create_rate_limit,
    create_claim,
)
from transactions.deletion import claim_soft_delete, claims_soft_delete  # noqa: F401 - write API
from transactions.models import Status, Transaction, status_label
from transactions.webhooks import services as webhooks
from transactions.workbench.assignment import assigned_conflict, held_by_other

# The status machine (design section 3): from -> allowed targets.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.IN_PROGRESS: frozenset({Status.COMPLETED, Status.TO_REVIEW, Status.UNKNOWN, Status.CANCELED}),
    Status.UNKNOWN: frozenset({Status.COMPLETED, Status.TO_REVIEW, Status.IN_PROGRESS, Status.CANCELED}),
    Status.TO_REVIEW: frozenset({Status.COMPLETED, Status.CANCELED}),
    Status.COMPLETED: frozenset({Status.TO_REVIEW}),
    Status.CANCELED: frozenset({Status.TO_REVIEW}),
}
FINAL_STATUSES = frozenset({Status.COMPLETED, Status.CANCELED})
WITHDRAWABLE_STATUSES = frozenset({Status.IN_PROGRESS, Status.UNKNOWN})

# Kept out of audit before/after: the bank's raw answer lives on its BankLookup (the event's
# metadata names the look-up).
# `review_since` is the time of the event itself (its occurred_at), not a change of its own.
NOT_AUDITED = frozenset({"banesco_payload", "decided_lookup", "review_since"})


# --- helpers ----------------------------------------------------------------------------------


def _is_admin(user) -> bool:
    if user is None:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name=ADMIN).exists()


def _lock(claim) -> Transaction:
    pk = claim.pk if isinstance(claim, Transaction) else claim
    try:
        return Transaction.objects.select_for_update().get(pk=pk, deleted_at__isnull=True)
    except (Transaction.DoesNotExist, ValidationError, ValueError):
        raise NotFound(_("Payment claim not found.")) from None


# --- status machine ---------------------------------------------------------------------------


def _check_permission(*, claim: Transaction, from_status: str, to_status: str, actor, reason: str) -> None:
    """Who may do what, for human actors. actor None = system/bank: no check."""
    if actor is None:
        return
    if from_status == Status.TO_REVIEW:
        # Reconciler decision.
        if not actor.has_perm("transactions.decide_transaction"):
            raise PermissionDenied(_("You may not decide claims under review."))
        if not reason.strip():
            raise ValidationFailed(
                _("A reason is required for this decision."), details={"reason": [_("Required.")]}
            )
        return
    if from_status in FINAL_STATUSES:
        if not actor.has_perm("transactions.reopen_transaction"):
            raise PermissionDenied(_("You may not reopen claims."))
        if not reason.strip():
            raise ValidationFailed(
                _("A reason is required to reopen a claim."), details={"reason": [_("Required.")]}
            )
        return
    if to_status == Status.CANCELED:
        # A client withdraws its own claim, or an admin cancels it.
        owner = claim.created_by_id == actor.pk and actor.has_perm("transactions.cancel_transaction")
        if not (owner or _is_admin(actor)):
            raise PermissionDenied(_("Only the claim's owner or an administrator may cancel it."))
        return
    # A person forcing a verification outcome: a decision like any other.
    if not actor.has_perm("transactions.decide_transaction"):
        raise PermissionDenied(_("You may not change this claim's status."))
    if not reason.strip():
        raise ValidationFailed(
            _("A reason is required for this decision."), details={"reason": [_("Required.")]}
        )


def _apply_transition(
    *,
    claim: Transaction,
    to_status: str,
    actor,
    reason: str,
    bank_payload: dict | None,
    actor_type: str | None,
    extra_fields: dict | None = None,
    metadata: dict | None = None,
    reason_code: str = "",
) -> Transaction:
    """Change the status of an already locked claim and write the one audit event."""
    from_status = claim.status
    if to_status not in Status.values:
        raise ValidationFailed(_("Unknown status."), details={"to_status": [to_status]})
    if to_status not in TRANSITIONS.get(from_status, ()):
        raise Conflict(
            _("Cannot change a claim from %(from)s to %(to)s.")
            % {"from": status_label(from_status), "to": status_label(to_status)},
            code="invalid_transition",
            details={"from_status": from_status, "to_status": to_status},
        )
    _check_permission(claim=claim, from_status=from_status, to_status=to_status, actor=actor, reason=reason)

    changes: dict[str, Any] = {
        "status": to_status,
        "status_reason": (reason or "")[:500],
        "status_reason_code": reason_code,
    }
    if bank_payload is not None:
        changes["banesco_payload"] = bank_payload
    if to_status in (Status.IN_PROGRESS, Status.UNKNOWN):
        changes.setdefault("next_verification_at", claim.next_verification_at or timezone.now())
    elif "next_verification_at" not in (extra_fields or {}):
        changes["next_verification_at"] = None
    if from_status == Status.TO_REVIEW and claim.assigned_to_id:
        # Out of the queue: the reconciler's hold ends with the decision (audited in this event).
        changes.update(assigned_to=None, assigned_until=None)
    # The queue's age: since the event that moved the claim into TO_REVIEW (this one).
    changes["review_since"] = timezone.now() if to_status == Status.TO_REVIEW else None
    changes.update(extra_fields or {})
    changed = [f for f, v in changes.items() if getattr(claim, f) != v]
    before = _snapshot(claim, [f for f in changed if f not in NOT_AUDITED])
    for field, value in changes.items():
        setattr(claim, field, value)
    claim.save(update_fields=[*changes, "updated_at"])
    audit_services.record(
        action=TRANSACTION_STATUS_CHANGED,
        actor=actor,
        actor_type=actor_type,
        target=claim,
        before=before,
        after=_snapshot(claim, [f for f in changed if f not in NOT_AUDITED]),
        reason=reason or "",
        metadata={"from_status": from_status, "to_status": to_status, **(metadata or {})},
    )
    webhooks.claim_event_record(
        claim=claim, from_status=from_status, reason=reason, actor=actor, actor_type=actor_type
    )
    return claim


def transition(
    *,
    claim,
    to_status: str,
    actor,
    reason: str = "",
    bank_payload: dict | None = None,
    expected_status: str | None = None,
    actor_type: str | None = None,
    confirm_takeover: bool = False,
    extra_fields: dict | None = None,
    metadata: dict | None = None,
) -> Transaction:
    """Move a claim to `to_status` under a row lock. See TRANSITIONS for the machine.

    Raises Conflict (not allowed from the current status, `expected_status` no longer matches: a
    lost race, or the claim is held by another reconciler and `confirm_takeover` is not set:
    code `assigned_to_other`), PermissionDenied, ValidationFailed (missing reason), NotFound.
    """
    with transaction.atomic():
        locked = _lock(claim)
        if expected_status is not None and locked.status != expected_status:
            raise Conflict(
                _("The claim changed meanwhile: it is now %(status)s.") % {"status": locked.status},
                code="status_changed",
                details={"expected_status": expected_status, "current_status": locked.status},
            )
        if not confirm_takeover and held_by_other(locked, actor):
            raise assigned_conflict(locked)
        return _apply_transition(
            claim=locked,
            to_status=to_status,
            actor=actor,
            reason=reason,
            bank_payload=bank_payload,
            actor_type=actor_type,
            extra_fields=extra_fields,
            metadata=metadata,
        )


def record_verification(
    *,
    claim_id,
    expected_status: str,
    to_status: str | None,
    reason: str,
    reason_code: str,
    lookup,  # banking.models.BankLookup (None only in tests of the bookkeeping itself)
    bank_amount: Decimal | None,
    next_verification_at,
    count_attempt: bool = True,
) -> Transaction:
    """Store a verification outcome: the deciding `BankLookup`, its raw body (the ERD's
    `banesco_payload`), the bank's amount and the reason code. One event: status_changed or verified.

    `count_attempt=False` (a configuration fault: our fault, not the claim's) leaves
    `verification_attempts`, and so the claim's back-off, untouched.
    """
    with transaction.atomic():
        claim = _lock(claim_id)
        if claim.status != expected_status:
            raise Conflict(
                _("The claim changed meanwhile: it is now %(status)s.") % {"status": claim.status},
                code="status_changed",
                details={"expected_status": expected_status, "current_status": claim.status},
            )
        now = timezone.now()
        attempts = claim.verification_attempts + (1 if count_attempt else 0)
        bookkeeping = {
            "verification_attempts": attempts,
            "last_verified_at": now,
            "next_verification_at": next_verification_at,
            "decided_lookup": lookup,
            "banesco_payload": lookup.body if lookup is not None else None,
            "bank_amount": bank_amount,
        }
        if to_status and to_status != claim.status:
            return _apply_transition(
                claim=claim,
                to_status=to_status,
                actor=None,
                reason=reason,
                reason_code=reason_code,
                bank_payload=None,
                actor_type="BANK",
                extra_fields=bookkeeping,
                metadata={"verification_attempts": attempts, "lookup_id": getattr(lookup, "pk", None)},
            )
        changes = dict(bookkeeping, status_reason=(reason or "")[:500], status_reason_code=reason_code)
        before = _snapshot(claim, VERIFIED_AUDIT_FIELDS)
        for field, value in changes.items():
            setattr(claim, field, value)
        claim.save(update_fields=[*changes, "updated_at"])
        audit_services.record(
            action=TRANSACTION_VERIFIED,
            actor=None,
            actor_type="BANK",
            target=claim,
            before=before,
            after=_snapshot(claim, (*VERIFIED_AUDIT_FIELDS, "last_verified_at")),
            reason=reason or "",
            metadata={"status": claim.status, "lookup_id": getattr(lookup, "pk", None)},
        )
        return claim


VERIFIED_AUDIT_FIELDS = (
    "status_reason",
    "status_reason_code",
    "verification_attempts",
    "next_verification_at",
    "bank_amount",
)


# --- thin wrappers for the API and the admin --------------------------------------------------


def claim_cancel(*, claim, actor, reason: str = "") -> Transaction:
    """The owner (or an admin) withdraws an IN_PROGRESS/UNKNOWN claim."""
    with transaction.atomic():
        locked = _lock(claim)
        if locked.status not in WITHDRAWABLE_STATUSES:
            raise Conflict(
                _("Only claims in progress or unknown can be canceled; this one is %(status)s.")
                % {"status": status_label(locked.status)},
                code="invalid_transition",
                details={"from_status": locked.status, "to_status": Status.CANCELED},
            )
        return _apply_transition(
            claim=locked,
            to_status=Status.CANCELED,
            actor=actor,
            reason=reason
            or (
                "Withdrawn by the client."
                if locked.created_by_id == actor.pk
                else "Canceled by an administrator."
            ),
            bank_payload=None,
            actor_type=None,
        )


def claim_decide(
    *,
    claim,
    to_status: str,
    actor,
    reason: str,
    expected_status: str | None = Status.TO_REVIEW,
    confirm_takeover: bool = False,
) -> Transaction:
    """A person's decision (reason required, checked with the permission in the machine):
    `claim_approve` (TO_REVIEW → COMPLETED), `claim_reject` (TO_REVIEW → CANCELED) and
    `claim_reopen` (COMPLETED/CANCELED → TO_REVIEW, any expected status)."""
    return transition(
        claim=claim,
        to_status=to_status,
        actor=actor,
        reason=reason,
        expected_status=expected_status,
        confirm_takeover=confirm_takeover,
    )


claim_approve = partial(claim_decide, to_status=Status.COMPLETED)
claim_reject = partial(claim_decide, to_status=Status.CANCELED)
claim_reopen = partial(claim_decide, to_status=Status.TO_REVIEW, expected_status=None)


# --- admin work audited as a whole (bulk decisions, exports): one event, no status change ----------
def record_bulk_decision(
    *, actor, decision: str, reason: str, done: list[str], skipped: list[str], failed: list[str], request=None
) -> None:
    """The summary event of a changelist action over several claims (each claim's own change was
    audited by its service call): which claims were done, skipped (changed meanwhile), failed."""
    with transaction.atomic():
        audit_services.record(
            action=ADMIN_ACTION,
            actor=actor,
            reason=reason,
            metadata={
                "action": decision,
                "model": "transactions.transaction",
                "count": len(done) + len(skipped) + len(failed),
                "done": done,
                "skipped": skipped,
                "failed": failed,
            },
            request=request,
        )


def record_claims_export(*, actor, scope: str, query: str = "", request=None) -> None:
    """Who exported which claims as CSV (scope selected/filtered; query cut to 500 characters)."""
    if not actor.has_perm("transactions.view_all_transactions"):
        raise PermissionDenied(_("You may not export payment claims."))
    with transaction.atomic():
        audit_services.record(
            action=ADMIN_ACTION,
            actor=actor,
            metadata={
                "action": "export_csv",
                "scope": scope,
                "model": "transactions.transaction",
                "query": query[:500],
            },
            request=request,
        )
