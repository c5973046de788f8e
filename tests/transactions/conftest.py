import itertools

import pytest
from django.core.cache import caches

from config.clock import caracas_today
from transactions import services

_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _clear_ratelimit_cache():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


def next_reference() -> str:
    return f"{next(_seq):012d}"


@pytest.fixture
def api_payload():
    """A valid create body (API shape) with a fresh transaction_id and reference."""

    def _payload(**overrides):
        n = next(_seq)
        body = {
            "transaction_id": f"tx-{n}",
            "bank": "MOBILE_TRANSFER",
            "transaction_type": "TRANSACTION",
            "reference": f"{n:012d}",
            "amount": "1500.50",
            "payment_date": caracas_today().isoformat(),
            "payer_bank_code": "0102",
            "customer": {
                "full_name": "María José Pérez",
                "phone": "+58 414-1234567",
                "national_id": "v-12.345.678",
                "concept": "Consulta",
            },
            "metadata": {"invoice": f"F-{n}"},
        }
        customer = overrides.pop("customer", None)
        if customer:
            body["customer"].update(customer)
        body.update(overrides)
        return body

    return _payload


def flat_data(**overrides) -> dict:
    n = next(_seq)
    data = {
        "transaction_id": f"svc-{n}",
        "bank": "MOBILE_TRANSFER",
        "transaction_type": "TRANSACTION",
        "reference": f"{n:012d}",
        "amount": "100.00",
        "payment_date": caracas_today(),
        "payer_bank_code": "0134",
        "customer_full_name": "Ana Gómez",
        "customer_phone": "04141234567",
        "customer_national_id": "V12345678",
        "concept": "",
        "metadata": {},
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_claim(client_user):
    """Create a claim through the service (default owner: client_user), optionally forcing a status."""

    def _make(owner=None, status=None, **overrides):
        from transactions.models import Transaction

        claim, created = services.create_claim(data=flat_data(**overrides), actor=owner or client_user)
        assert created
        if status:
            Transaction.objects.filter(pk=claim.pk).update(status=status)
            claim.refresh_from_db()
        return claim

    return _make
