"""Two reconcilers pressing "next claim" at once get two different claims (SKIP LOCKED).

Transactional (threads need their own connections). The flush after a transactional test gives the
content types new ids, so the ContentType cache (used by audit) is cleared before and after.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management.sql import emit_post_migrate_signal

from audit.models import AuditEvent
from tests.conftest import run_in_threads
from transactions.models import Status, Transaction
from transactions.workbench import assignment

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_content_types():
    ContentType.objects.clear_cache()
    emit_post_migrate_signal(0, False, "default")  # content types and permissions after any flush
    yield
    ContentType.objects.clear_cache()


def test_two_concurrent_next_claims_get_two_different_claims(roles, make_user):
    owner = make_user("client")
    reconcilers = [make_user("reconciler", is_staff=True) for _ in range(2)]
    now = dt.datetime.now(dt.UTC)
    for n in range(3):
        Transaction.objects.create(
            transaction_id=f"next-{n}",
            status=Status.TO_REVIEW,
            bank="MOBILE_TRANSFER",
            reference=f"{550000000000 + n}",
            amount=Decimal("10.00"),
            payment_date=dt.date(2025, 1, 1),
            payer_bank_code="0102",
            customer_full_name="Ana",
            customer_phone="04141234567",
            customer_national_id="V1234567",
            created_by=owner,
            created_at=now - dt.timedelta(hours=10 - n),
        )
    results, errors = run_in_threads(2, lambda i: assignment.next_claim(actor=reconcilers[i]))
    assert errors == [None, None]
    assert results[0].pk != results[1].pk
    assert {r.transaction_id for r in results} == {"next-0", "next-1"}  # the two oldest
    held = dict(
        Transaction.objects.filter(assigned_to__isnull=False).values_list("transaction_id", "assigned_to")
    )
    assert sorted(held.values()) == sorted(r.pk for r in reconcilers)
    assert AuditEvent.objects.filter(action="transaction.assigned").count() == 2
