"""Reads of payment claims (querysets for the API, the admin, exports)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from config.errors import NotFound
from transactions.models import Transaction
from transactions.validators import CARACAS


def claim_list(*, user) -> QuerySet[Transaction]:
    """Claims the user may read: clients their own, staff roles all (live rows only)."""
    return Transaction.objects.visible_to(user)


def claim_get_for_user(*, user, transaction_id: str) -> Transaction:
    """One claim by the client's transaction_id; NotFound (404) when absent or not the user's."""
    claim = claim_list(user=user).filter(transaction_id=transaction_id).first()
    if claim is None:
        raise NotFound(_("Payment claim not found."))
    return claim


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
