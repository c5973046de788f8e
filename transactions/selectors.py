"""Reads of payment claims (querysets for the API, the admin, exports)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from banking.parsing import parse_response
from banking.results import BankRow, Found
from config.errors import NotFound
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
    """The bank's movement that matches the claim, read from the answer stored with its last
    verification (`banesco_payload`) by banking.parsing: the one credit movement of that answer;
    None before any answer, for not-found and failed look-ups, and when the answer held no credit
    or several (the reconcilers' cases)."""
    payload = claim.banesco_payload
    if not isinstance(payload, dict) or not isinstance(payload.get("body"), dict):
        return None
    result = parse_response(int(payload.get("http_status") or 200), json.dumps(payload["body"]))
    if not isinstance(result, Found):
        return None
    credits = [row for row in result.rows if row.is_credit]
    return credits[0] if len(credits) == 1 else None


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
