"""The status poll's SQL compiled once per process (config.sql.PrecompiledRead): the same rows as
the ORM, the same visibility as every other claim read, compiled once."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from config.sql import PrecompiledRead
from transactions import selectors
from transactions.models import Status, Transaction

pytestmark = pytest.mark.django_db

MARKER = "\x00transaction_id"


def test_rows_equal_the_orms_converted_values_and_compile_once(make_claim):
    claim = make_claim(metadata={"order": 7, "note": "ñ"})
    Transaction.objects.filter(pk=claim.pk).update(
        last_verified_at=timezone.now() - dt.timedelta(minutes=3), verification_attempts=2
    )
    columns = ("id", "created_by_id", "metadata", "amount", "payment_date", "last_verified_at", "status")
    builds = []

    def build(transaction_id):
        builds.append(transaction_id)
        return Transaction.objects.alive().filter(transaction_id=transaction_id).values_list(*columns)

    read = PrecompiledRead(build, transaction_id=MARKER)
    orm = list(Transaction.objects.alive().filter(transaction_id=claim.transaction_id).values_list(*columns))
    assert read.rows(transaction_id=claim.transaction_id) == orm
    assert orm[0][2] == {"order": 7, "note": "ñ"} and orm[0][5].tzinfo is not None  # converted, aware
    assert read.rows(transaction_id="no-such-claim") == []
    assert builds == [MARKER]  # compiled on first use only


def test_a_marker_that_does_not_reach_the_sql_is_refused():
    unused = PrecompiledRead(
        lambda transaction_id: Transaction.objects.values_list("id"), transaction_id=MARKER
    )
    with pytest.raises(ImproperlyConfigured):
        unused.rows(transaction_id="x")
    with pytest.raises(ImproperlyConfigured):
        PrecompiledRead(lambda pk: Transaction.objects.filter(pk=pk), pk=123)


def test_status_is_the_claims_stored_fields_for_the_owner_and_staff_only(
    make_claim, client_user, make_user, reconciler_user
):
    claim = make_claim(status=Status.TO_REVIEW)
    expected = Transaction.objects.values_list(*selectors.STATUS_FIELDS).get(pk=claim.pk)
    for reader in (client_user, reconciler_user):
        status = selectors.claim_status_for_user(user=reader, transaction_id=claim.transaction_id)
        assert tuple(getattr(status, f) for f in selectors.STATUS_FIELDS) == expected
    with pytest.raises(selectors.NotFound):
        selectors.claim_status_for_user(user=make_user("client"), transaction_id=claim.transaction_id)
    Transaction.objects.filter(pk=claim.pk).update(deleted_at=timezone.now())
    with pytest.raises(selectors.NotFound):
        selectors.claim_status_for_user(user=reconciler_user, transaction_id=claim.transaction_id)


def test_status_poll_is_one_claim_query(make_claim, client_user, django_assert_num_queries):
    claim = make_claim()
    selectors.claim_status_for_user(user=client_user, transaction_id=claim.transaction_id)  # compiled
    with django_assert_num_queries(1):
        selectors.claim_status_for_user(user=client_user, transaction_id=claim.transaction_id)
