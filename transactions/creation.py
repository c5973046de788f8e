"""Creating a payment claim: idempotent on `transaction_id`, one audit event, one NOTIFY, one
webhook outbox event.

Part of the write services (`transactions.services` re-exports `create_claim` and
`claim_create_rate_limit`); kept apart so each module stays small. No bank call: the claim is
created due now and the verification worker looks it up (transactions/verification_queue.py).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit_services
from audit.actions import TRANSACTION_CREATED
from audit.chain import snapshot
from config.errors import Conflict, PermissionDenied, ValidationFailed
from config.ratelimit import enforce_rate
from transactions import validators
from transactions.models import Status, Transaction
from transactions.verification_queue import notify_due
from transactions.webhooks import services as webhooks

# Fields compared on an idempotent replay of create.
IDEMPOTENCY_FIELDS = tuple(validators.CLAIM_FIELDS)
UNIQUE_TRANSACTION_ID = "transactions_transaction_transaction_id_key"
UNIQUE_REFERENCE = "tx_reference_type_unique_alive"

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
            audit_services.record(
                action=TRANSACTION_CREATED,
                actor=actor,
                target=claim,
                after=snapshot(claim, ("status", *IDEMPOTENCY_FIELDS)),
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
