import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.test import Client

from tests.admin.payments import matching_payment
from tests.conftest import PASSWORD

_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_login_limits():
    """Login counters are per email and IP: emails repeat between tests (make_user's counter)."""
    from django.core.cache import caches

    from config.ratelimit import local_limiter

    caches["ratelimit"].clear()  # local memory in the suite (tests never point it at a shared Redis)
    local_limiter.clear()
    yield
    caches["ratelimit"].clear()
    local_limiter.clear()


@pytest.fixture
def make_claim(db, make_user):
    """Create claims directly (tests may; production code goes through transactions.services)."""
    from transactions.models import Transaction

    owner = {}

    def _make(status="TO_REVIEW", **extra):
        if "created_by" not in extra:
            if "user" not in owner:
                owner["user"] = make_user("client")
            extra["created_by"] = owner["user"]
        n = next(_seq)
        fields = {
            "transaction_id": f"adm-{n:06d}",
            "status": status,
            "bank": "MOBILE_TRANSFER",
            "transaction_type": "TRANSACTION",
            "reference": f"{900000000000 + n}",
            "amount": Decimal("150.25"),
            "payment_date": dt.date(2025, 1, 15),
            "payer_bank_code": "0102",
            "customer_full_name": f"Cliente Prueba {n}",
            "customer_phone": "04141234567",
            "customer_national_id": f"V{10000000 + n}",
        }
        fields.update(extra)
        return Transaction.objects.create(**fields)

    return _make


@pytest.fixture
def login():
    """A Django test client logged in as `user` through the real admin login form."""

    def _login(user, *, ip="10.9.0.1"):
        client = Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def claim_amount_differs(make_claim, bank_verify):
    """A claim the real verification sent to TO_REVIEW (AMOUNT_MISMATCH): the sandbox holds its
    payment with 150.00 where the claim says 150.25. Claim fields and payment extras as keywords."""

    def _make(*, payment=None, **claim_fields):
        claim = make_claim(status="IN_PROGRESS", **claim_fields)
        paid = matching_payment(claim, amount="150.00", **(payment or {}))
        bank_verify(claim, seed_demo=False, payments=[paid])
        assert claim.status == "TO_REVIEW" and claim.status_reason_code == "AMOUNT_MISMATCH"
        return claim

    return _make
