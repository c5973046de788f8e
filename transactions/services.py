"""Writes to payment claims. The only code that creates a Transaction or changes its status.

Every status change: one call to `transition` (or `record_verification`), one DB transaction,
a row lock (`select_for_update`) taken *before* the current status is checked, and exactly one
audit event with the before/after of the changed fields.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import ADMIN
from audit import actions
from config.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from config.ratelimit import enforce_rate
from transactions import validators
from transactions.models import Status, Transaction
from transactions.verification_queue import notify_due
from transactions.webhooks import services as webhooks

# Audit action names (audit/actions.py holds the vocabulary; literals match it).
TRANSACTION_CREATED = "transaction.created"
TRANSACTION_STATUS_CHANGED = "transaction.status_changed"
TRANSACTION_VERIFIED = "transaction.verified"

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

# Fields compared on an idempotent replay of create.
IDEMPOTENCY_FIELDS = tuple(validators.CLAIM_FIELDS)
UNIQUE_TRANSACTION_ID = "transactions_transaction_transaction_id_key"
UNIQUE_REFERENCE = "tx_reference_type_unique_alive"
# Kept out of audit before/after: the bank's raw answer lives on its BankLookup (the event's
# metadata names the look-up).
NOT_AUDITED = frozenset({"banesco_payload", "decided_lookup"})


# --- helpers ----------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _snapshot(claim: Transaction, fields) -> dict:
    return {f: _jsonable(getattr(claim, f)) for f in fields}


def _record(**kwargs):
    from audit import services as audit_services

    return audit_services.record(**kwargs)


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


def _status_label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else status


# --- create -----------------------------------------------------------------------------------

CREATE_RATE_GROUP = "transactions.claim_create"


def claim_create_rate_limit(*, request) -> None:
    """Count one claim submission of the request's user (`CLAIM_CREATE_RATE`); 429 when over.
    Every API profile that creates claims calls it before `create_claim`. An API limit: fails
    open when the rate-limit cache is down (config.ratelimit)."""
    enforce_rate(
        group=CREATE_RATE_GROUP,
        key=str(request.user.pk),
        rate=settings.CLAIM_CREATE_RATE,
        message=_("Too many payment claims submitted; try again later."),
    )


def create_claim(*, data: dict, actor) -> tuple[Transaction, bool]:
    """Create a claim, idempotent on `transaction_id`.

    Same normalised payload as an existing claim of the same owner -> (existing, False).
    Different payload -> Conflict listing the differing fields. A duplicate (reference, type)
    among live claims -> Conflict. Concurrency-safe: the INSERT runs in a savepoint and the
    unique constraint decides; the loser re-reads the winner's row (never check-then-insert).
    No bank call: the claim is created due now and a verification worker looks it up (NOTIFY).
    """
    if actor is None or not getattr(actor, "pk", None):
        raise PermissionDenied(_("A claim must be created by a user."))
    try:
        cleaned = validators.clean_claim(data)
    except ValidationError as exc:
        raise ValidationFailed(_("Invalid payment claim."), details=exc.message_dict) from None

    now = timezone.now()
    claim = Transaction(**cleaned, created_by=actor, status=Status.IN_PROGRESS, next_verification_at=now)
    try:
        with transaction.atomic():
            claim.save(force_insert=True)
            _record(
                action=TRANSACTION_CREATED,
                actor=actor,
                target=claim,
                after=_snapshot(claim, ("status", *IDEMPOTENCY_FIELDS)),
            )
            notify_due(claim.pk)  # delivered at commit: wakes a verification worker
            webhooks.claim_event_record(claim=claim)
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
        existing = Transaction.objects.filter(transaction_id=cleaned["transaction_id"]).first()
        if existing is not None:
            return _replay(existing=existing, cleaned=cleaned, actor=actor), False
        if constraint == UNIQUE_REFERENCE:
            raise Conflict(
                _("A payment claim with this reference and type already exists."),
                code="duplicate_reference",
                details={"fields": ["reference", "transaction_type"]},
            ) from None
        raise
    return claim, True


def _replay(*, existing: Transaction, cleaned: dict, actor) -> Transaction:
    if existing.deleted_at is not None or (actor is not None and existing.created_by_id != actor.pk):
        raise Conflict(
            _("This transaction_id is already in use."),
            code="transaction_id_in_use",
            details={"fields": ["transaction_id"]},
        )
    differing = [f for f in IDEMPOTENCY_FIELDS if getattr(existing, f) != cleaned[f]]
    if differing:
        raise Conflict(
            _("A payment claim with this transaction_id already exists with different data."),
            code="idempotency_conflict",
            details={"fields": differing},
        )
    return existing


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
            % {"from": _status_label(from_status), "to": _status_label(to_status)},
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
    changes.update(extra_fields or {})
    changed = [f for f, v in changes.items() if getattr(claim, f) != v]
    before = _snapshot(claim, [f for f in changed if f not in NOT_AUDITED])
    for field, value in changes.items():
        setattr(claim, field, value)
    claim.save(update_fields=[*changes, "updated_at"])
    _record(
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
) -> Transaction:
    """Move a claim to `to_status` under a row lock. See TRANSITIONS for the machine.

    Raises Conflict (not allowed from the current status, or `expected_status` no longer
    matches: a lost race), PermissionDenied, ValidationFailed (missing reason), NotFound.
    """
    with transaction.atomic():
        locked = _lock(claim)
        if expected_status is not None and locked.status != expected_status:
            raise Conflict(
                _("The claim changed meanwhile: it is now %(status)s.") % {"status": locked.status},
                code="status_changed",
                details={"expected_status": expected_status, "current_status": locked.status},
            )
        return _apply_transition(
            claim=locked,
            to_status=to_status,
            actor=actor,
            reason=reason,
            bank_payload=bank_payload,
            actor_type=actor_type,
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
        _record(
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
                % {"status": _status_label(locked.status)},
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


def claim_approve(*, claim, actor, reason: str) -> Transaction:
    return transition(
        claim=claim, to_status=Status.COMPLETED, actor=actor, reason=reason, expected_status=Status.TO_REVIEW
    )


def claim_reject(*, claim, actor, reason: str) -> Transaction:
    return transition(
        claim=claim, to_status=Status.CANCELED, actor=actor, reason=reason, expected_status=Status.TO_REVIEW
    )


def claim_reopen(*, claim, actor, reason: str) -> Transaction:
    if not (reason or "").strip():
        raise ValidationFailed(
            _("A reason is required to reopen a claim."), details={"reason": [_("Required.")]}
        )
    return transition(claim=claim, to_status=Status.TO_REVIEW, actor=actor, reason=reason)


# --- soft delete ------------------------------------------------------------------------------
#
# Nothing financial is ever hard-deleted. A soft-deleted claim (`deleted_at` set) keeps its row,
# its status and its audit trail, but it leaves every working set: the API lists and reads (404),
# the reconcilers' TO_REVIEW queue and dashboard, the verification sweep and workers, exports.
# Its (reference, type) becomes free for a new claim. COMPLETED claims cannot be deleted: money was
# received and the record must stay where reconcilers and reports see it.

DELETE_PERMISSION = "transactions.delete_transaction"


def _soft_delete_locked(*, claim: Transaction, actor, now) -> Transaction:
    if claim.status == Status.COMPLETED:
        raise Conflict(
            _("A completed payment claim cannot be deleted."),
            code="claim_completed",
            details={"id": str(claim.pk), "status": claim.status},
        )
    claim.deleted_at = now
    claim.save(update_fields=["deleted_at", "updated_at"])
    _record(
        action=actions.TRANSACTION_DELETED,
        actor=actor,
        target=claim,
        before={"deleted_at": None},
        after={"deleted_at": _jsonable(now)},
        metadata={"status": claim.status},
    )
    return claim


def claims_soft_delete(*, claim_ids, actor, visible_to=None) -> list[Transaction]:
    """Soft-delete several claims at once: all or nothing, one audit event per claim.

    Needs `transactions.delete_transaction`. Rows are locked in primary-key order (no deadlock
    between two overlapping bulk deletes), the status is checked after the lock. Any id that is
    unknown, already deleted or not readable by `visible_to` (a queryset filter: the caller's
    visibility) -> NotFound; any COMPLETED claim -> Conflict; in both cases nothing is deleted.
    """
    if actor is None or not actor.has_perm(DELETE_PERMISSION):
        raise PermissionDenied(_("You may not delete payment claims."))
    ids = []
    for raw in claim_ids:
        try:
            ids.append(uuid.UUID(str(raw)))
        except ValueError:
            raise NotFound(_("Payment claim not found."), details={"id": str(raw)[:64]}) from None
    ids = sorted(set(ids))
    with transaction.atomic():
        qs = Transaction.objects.alive() if visible_to is None else visible_to
        locked = {c.pk: c for c in qs.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")}
        missing = [str(pk) for pk in ids if pk not in locked]
        if missing:
            raise NotFound(_("Payment claim not found."), details={"ids": missing})
        now = timezone.now()
        return [_soft_delete_locked(claim=locked[pk], actor=actor, now=now) for pk in ids]


def claim_soft_delete(*, claim_id, actor, visible_to=None) -> Transaction:
    """Soft-delete one claim (see `claims_soft_delete`)."""
    return claims_soft_delete(claim_ids=[claim_id], actor=actor, visible_to=visible_to)[0]
