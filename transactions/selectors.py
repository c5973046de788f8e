"""Reads of payment claims (querysets for the API, the admin, exports)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.selectors import events_for_target
from banking.results import BankRow
from config.clock import CARACAS
from config.errors import NotFound
from config.sql import PrecompiledRead
from transactions import evidence as claim_evidence
from transactions.models import VERIFIABLE_STATUSES, Status, Transaction, sees_all_claims


def claim_list(*, user) -> QuerySet[Transaction]:
    """Claims the user may read: clients their own, staff roles all (live rows only), with the
    deciding bank look-up joined (its parsed rows are part of every claim's output)."""
    return Transaction.objects.visible_to(user).select_related("decided_lookup")


def claim_none() -> QuerySet[Transaction]:
    """An empty claims queryset (schema generation)."""
    return Transaction.objects.none()


def claim_get_for_user(*, user, transaction_id: str) -> Transaction:
    """One claim by the client's transaction_id; NotFound (404) when absent or not the user's."""
    claim = claim_list(user=user).filter(transaction_id=transaction_id).first()
    if claim is None:
        raise NotFound(_("Payment claim not found."))
    return claim


# What the status endpoint answers (ClaimStatusOutputSerializer).
STATUS_FIELDS = (
    "transaction_id",
    "status",
    "status_reason",
    "last_verified_at",
    "next_verification_at",
    "verification_attempts",
)


@dataclasses.dataclass(frozen=True)
class ClaimStatus:
    """A claim's status fields (STATUS_FIELDS), as the status endpoint answers them."""

    transaction_id: str
    status: str
    status_reason: str
    last_verified_at: dt.datetime | None
    next_verification_at: dt.datetime | None
    verification_attempts: int


# The status poll is the API's hottest read: its SQL is compiled once per process (config.sql).
# The claim's owner is read with it and checked in Python (sees_all_claims), which
# keeps the SQL the same for every user; transaction_id is unique, so it is the same answer as
# filtering visible_to(user) in SQL.
_STATUS_READ = PrecompiledRead(
    lambda transaction_id: (
        Transaction.objects.alive()
        .filter(transaction_id=transaction_id)
        .values_list("created_by_id", *STATUS_FIELDS)[:1]
    ),
    transaction_id="\x00transaction_id",
)


def claim_status_for_user(*, user, transaction_id: str) -> ClaimStatus:
    """A live claim's status fields by the client's transaction_id; NotFound (404) when absent,
    deleted or not the user's (the same visibility as `claim_get_for_user`)."""
    rows = _STATUS_READ.rows(transaction_id=transaction_id)
    if rows:
        owner_id, *fields = rows[0]
        if owner_id == user.pk or sees_all_claims(user):
            return ClaimStatus(*fields)
    raise NotFound(_("Payment claim not found."))


def claim_get_by_id_for_user(*, user, claim_id) -> Transaction:
    """One claim by its UUID; NotFound (404) when absent, deleted, not the user's, or not a UUID."""
    try:
        claim_uuid = uuid.UUID(str(claim_id))
    except ValueError:
        raise NotFound(_("Payment claim not found.")) from None
    claim = claim_list(user=user).filter(pk=claim_uuid).first()
    if claim is None:
        raise NotFound(_("Payment claim not found."))
    return claim


def claim_for_reference(*, user, reference: str, transaction_type: str) -> Transaction | None:
    """The live claim holding (reference, transaction_type), if the user may read it."""
    return claim_list(user=user).filter(reference=reference, transaction_type=transaction_type).first()


def claim_bank_row(*, claim: Transaction) -> BankRow | None:
    """The bank's movement for the claim, from the deciding look-up parsed once
    (`transactions.evidence`): the supporting row, or the one closest candidate (e.g. the row whose
    amount differs); None before any answer, for not-found and failed look-ups, and when several
    rows are candidates (the reconcilers' cases)."""
    evidence = claim_evidence.bank_evidence(claim)
    return None if evidence is None else evidence.row


def claim_events(*, claim: Transaction):
    """The claim's audit events, newest first."""
    return events_for_target(claim)


def caracas_day_start(day: dt.date) -> dt.datetime:
    """The aware datetime at which `day` starts in Caracas."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=CARACAS)


def claims_created_between(
    *, date_from: dt.date, date_to: dt.date, status: str | None = None
) -> QuerySet[Transaction]:
    """Live claims created on Caracas dates date_from..date_to inclusive, oldest first."""
    qs = Transaction.objects.alive().filter(
        created_at__gte=caracas_day_start(date_from),
        created_at__lt=caracas_day_start(date_to + dt.timedelta(days=1)),
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("created_at", "id")


def claims_due_for_verification(*, now=None):
    """Alive IN_PROGRESS/UNKNOWN claims whose next verification time has come (or was never set)."""
    now = now or timezone.now()
    return (
        Transaction.objects.alive()
        .filter(status__in=VERIFIABLE_STATUSES)
        .filter(Q(next_verification_at__lte=now) | Q(next_verification_at__isnull=True))
    )


def reference_used_by_completed_claim(*, claim, bank_reference: str, mobile: bool) -> Transaction | None:
    """Another alive COMPLETED claim of the same type that already used this bank movement.

    Transfers match on the full reference (leading zeros ignored). Pago móvil searches only see the
    last 6 digits, so there a claim with the same last 6 digits and the same payer phone counts.
    """
    digits = "".join(ch for ch in bank_reference if ch.isdigit()) or bank_reference
    qs = (
        Transaction.objects.alive()
        .filter(status=Status.COMPLETED, transaction_type=claim.transaction_type)
        .exclude(pk=claim.pk)
    )
    if mobile:
        qs = qs.filter(reference__endswith=digits[-6:], customer_phone=claim.customer_phone)
    else:
        qs = qs.filter(reference__regex=rf"^0*{digits.lstrip('0') or '0'}$")
    return qs.order_by("created_at").first()
