"""Reads of payment claims (querysets for the API, the admin, exports)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from banking.results import BankRow
from config.errors import NotFound
from transactions.evidence import bank_evidence
from transactions.models import Transaction
from transactions.validators import CARACAS


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
    evidence = bank_evidence(claim)
    return None if evidence is None else evidence.row


def claim_events(*, claim: Transaction):
    """The claim's audit events, newest first."""
    from audit.selectors import events_for_target

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
