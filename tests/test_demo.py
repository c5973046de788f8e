"""`make run` seeds demo users and demo claims; its verification worker checks them through the
in-process Banesco sandbox."""

import pytest
from django.core.management import call_command

from transactions.models import Status, Transaction


@pytest.mark.django_db
def test_seed_demo_claims_are_verified_through_the_sandbox(settings):
    settings.BANESCO_ENVIRONMENT = "sandbox"
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert set(Transaction.objects.values_list("status", flat=True)) == {Status.IN_PROGRESS}  # no bank call
    call_command("verification_worker", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115
    statuses = dict(Transaction.objects.values_list("transaction_id", "status"))
    assert statuses == {
        "demo-pago-movil-ok": Status.COMPLETED,
        "demo-amount-mismatch": Status.TO_REVIEW,
        "demo-two-candidates": Status.TO_REVIEW,
    }
    ok = Transaction.objects.get(transaction_id="demo-pago-movil-ok")
    assert ok.banesco_payload and ok.last_verified_at is not None

    # Idempotent: a second run creates nothing new.
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Transaction.objects.count() == 3
