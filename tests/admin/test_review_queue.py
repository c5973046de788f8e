"""The queue shows age and cause: `review_since` set with the event that moved a claim into
TO_REVIEW, the cause filter over stored reason codes, oldest in review first, constant queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from banking.conf import BanescoConfig
from tests.admin.payments import matching_payment
from tests.clock import FakeClock
from tests.transactions.conftest import flat_data
from transactions import services
from transactions.models import Transaction

QUEUE = reverse("admin:transactions_transaction_changelist") + "?status__exact=TO_REVIEW"


@pytest.fixture
def clock():
    c = FakeClock()
    yield c
    c.stop()


def _claim(owner, **overrides):
    claim, created = services.create_claim(data=flat_data(**overrides), actor=owner)
    assert created
    return claim


def _rows(response):
    return [row.transaction_id for row in response.context["cl"].result_list]


def _entered_review_at(claim):
    return (
        AuditEvent.objects.for_target(claim)
        .filter(action="transaction.status_changed", metadata__to_status="TO_REVIEW")
        .latest("sequence")
        .occurred_at
    )


@pytest.mark.django_db
def test_review_since_is_the_entering_events_time_and_is_cleared_on_decision(
    client_user, reconciler_user, bank_verify
):
    claim = _claim(client_user)
    bank_verify(claim, seed_demo=False, payments=[matching_payment(claim, amount="99.00")])
    assert claim.status == "TO_REVIEW" and claim.status_reason_code == "AMOUNT_MISMATCH"
    assert abs(claim.review_since - _entered_review_at(claim)) < dt.timedelta(seconds=1)

    services.claim_approve(claim=claim, actor=reconciler_user, reason="Paid 99, accepted")
    claim.refresh_from_db()
    assert claim.status == "COMPLETED" and claim.review_since is None
    event = AuditEvent.objects.for_target(claim).latest("sequence")
    assert "review_since" not in (event.before or {}) and "review_since" not in (event.after or {})


@pytest.mark.django_db
def test_every_cause_is_stored_by_the_automatic_decision_and_filters_the_queue(
    client_user, reconciler_user, bank_verify, login, clock
):
    t0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    clock.set(t0)
    by_code = {}

    def queued(claim, code, **verify):
        bank_verify(claim, seed_demo=False, **verify)
        assert (claim.status, claim.status_reason_code) == ("TO_REVIEW", code), claim.status_reason
        by_code[code] = claim
        clock.advance(minutes=10)

    c = _claim(client_user)
    queued(c, "AMOUNT_MISMATCH", payments=[matching_payment(c, amount="1.00")])
    c = _claim(client_user)
    queued(c, "DEBIT", payments=[matching_payment(c, trn_type="DB")])
    c = _claim(client_user)
    queued(c, "SEVERAL_ROWS", payments=[matching_payment(c), matching_payment(c, trn_time="11:00:00")])
    c = _claim(client_user)
    queued(c, "REFERENCE_MISMATCH", payments=[matching_payment(c)], faults=["other_reference"])
    c = _claim(client_user)
    queued(c, "CURRENCY_MISMATCH", payments=[matching_payment(c)], faults=["other_currency"])
    first = _claim(client_user, reference="111111654321", customer_phone="04141112233")
    bank_verify(first, seed_demo=False, payments=[matching_payment(first, reference="654321")])
    assert first.status == "COMPLETED"
    c = _claim(client_user, reference="222222654321", customer_phone="04141112233")
    queued(c, "DUPLICATE_REFERENCE", payments=[matching_payment(c, reference="654321")])
    late = _claim(client_user)  # created now, looked up after the not-found window
    clock.advance(hours=BanescoConfig(environment="sandbox").not_found_window_hours + 1)
    queued(late, "NOT_FOUND_WINDOW")
    clock.stop()

    client = login(reconciler_user)
    response = client.get(QUEUE)
    assert response.status_code == 200
    # Oldest in review first (not oldest created: `late` was created before DUPLICATE_REFERENCE's).
    order = ["AMOUNT_MISMATCH", "DEBIT", "SEVERAL_ROWS", "REFERENCE_MISMATCH", "CURRENCY_MISMATCH"]
    order += ["DUPLICATE_REFERENCE", "NOT_FOUND_WINDOW"]
    assert _rows(response) == [by_code[code].transaction_id for code in order]
    html = response.content.decode()
    assert 'class="review-cause" data-code="DEBIT"' in html and 'class="review-age"' in html

    for code, claim in by_code.items():
        response = client.get(f"{QUEUE}&cause={code}")
        assert _rows(response) == [claim.transaction_id], code
        # The filter alone (no status parameter) also keeps to the queue, oldest in review first.
        assert _rows(client.get(reverse("admin:transactions_transaction_changelist") + f"?cause={code}")) == [
            claim.transaction_id
        ]
    assert _rows(client.get(f"{QUEUE}&cause=none")) == []
    assert _rows(client.get(f"{QUEUE}&cause=BOGUS")) == []

    # Spanish first: the filter's title and options.
    spanish = login(reconciler_user)
    spanish.defaults["HTTP_ACCEPT_LANGUAGE"] = "es"
    text = spanish.get(QUEUE).content.decode()
    assert "causa de revisión" in text.lower() and "El monto no coincide" in text


@pytest.mark.django_db
def test_a_reopened_claim_has_no_automatic_cause_and_is_in_the_none_option(
    client_user, reconciler_user, admin_user, bank_verify, login
):
    claim = _claim(client_user)
    bank_verify(claim, seed_demo=False, payments=[matching_payment(claim)])
    assert claim.status == "COMPLETED"
    services.claim_reopen(claim=claim, actor=admin_user, reason="Customer disputes it")
    claim.refresh_from_db()
    assert claim.status == "TO_REVIEW" and claim.status_reason_code == "" and claim.review_since
    client = login(reconciler_user)
    assert _rows(client.get(f"{QUEUE}&cause=none")) == [claim.transaction_id]


@pytest.mark.django_db
def test_the_queue_page_makes_the_same_number_of_queries_for_3_or_30_claims(
    reconciler_user, login, make_claim
):
    from django.utils import timezone

    client = login(reconciler_user)

    def count():
        client.get(QUEUE)  # warm-up: content types, session
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(QUEUE).status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        make_claim(review_since=timezone.now() - dt.timedelta(hours=i), status_reason_code="DEBIT")
    few = count()
    for i in range(27):
        make_claim(review_since=timezone.now() - dt.timedelta(days=i), amount=Decimal("10.00"))
    assert count() == few


@pytest.mark.django_db
def test_the_migration_backfills_review_since_from_the_audit_trail(client_user, bank_verify):
    import importlib

    from django.apps import apps

    claim = _claim(client_user)
    bank_verify(claim, seed_demo=False, payments=[matching_payment(claim, amount="2.00")])
    entered = _entered_review_at(claim)
    orphan = _claim(client_user)
    Transaction.objects.filter(pk=orphan.pk).update(status="TO_REVIEW")  # no event: falls back
    Transaction.objects.filter(pk__in=[claim.pk, orphan.pk]).update(review_since=None)

    migration = importlib.import_module("transactions.migrations.0010_review_since")
    with connection.schema_editor(atomic=True) as editor:
        migration.backfill(apps, editor)
    claim.refresh_from_db()
    orphan.refresh_from_db()
    assert claim.review_since == entered
    assert orphan.review_since == orphan.updated_at
