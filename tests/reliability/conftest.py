"""Fixtures for the reliability suite: the sandbox as a real HTTP server, claims, consistency checks."""

from __future__ import annotations

import io
import itertools
import os
import uuid

import pytest
from django.core.cache import caches
from django.core.management import call_command

from config.clock import caracas_today
from tests.banking.sandbox_server import SandboxProcess

LONG = os.environ.get("RELIABILITY_LONG") == "1"
_seq = itertools.count(1)

# Every claim of the fault matrix is a pago móvil from this phone/bank (the sandbox matches the
# last 6 digits of the reference + phone + bank + start date).
PHONE, PAYER_PHONE, PAYER_BANK = "04161234567", "584161234567", "0102"


def _clear(cache):
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _isolated(settings):
    """Fresh rate-limit counters (create never calls the bank: we drive verification ourselves)."""
    _clear(caches["ratelimit"])
    yield
    _clear(caches["ratelimit"])


@pytest.fixture(scope="module")
def sandbox():
    server = SandboxProcess(timeout_seconds=1.0)
    yield server
    server.stop()


@pytest.fixture
def http_sandbox(sandbox):
    sandbox.reset(seed_demo=False)
    return sandbox


def next_reference_block() -> int:
    """A fresh 6-digit prefix so references never collide inside one test database."""
    return next(_seq)


def claim_data(i: int, *, block: int, amount="10.00", **overrides) -> dict:
    data = {
        "transaction_id": f"rel-{block}-{i}-{uuid.uuid4().hex[:6]}",
        "bank": "MOBILE_TRANSFER",
        "transaction_type": "TRANSACTION",
        "reference": f"{block:06d}{i:06d}",
        "amount": amount,
        "payment_date": caracas_today(),
        "payer_bank_code": PAYER_BANK,
        "customer_full_name": "Ana Pérez",
        "customer_phone": PHONE,
        "customer_national_id": "V12345678",
        "concept": "",
        "metadata": {},
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_claims(client_user):
    """Create N claims through the real service (each with its `transaction.created` event)."""
    from transactions import services

    def _make(n: int, *, owner=None, **overrides):
        block = next_reference_block()
        claims = []
        for i in range(n):
            claim, created = services.create_claim(
                data=claim_data(i, block=block, **overrides), actor=owner or client_user
            )
            assert created
            claims.append(claim)
        return claims

    return _make


def seeded_payment(claim) -> dict:
    return {
        "reference": claim.reference,
        "amount": str(claim.amount),
        "phone": PAYER_PHONE,
        "source_bank_id": PAYER_BANK,
    }


def status_matches_last_event(claim) -> bool:
    """The claim's status equals the `status` of its last status-bearing audit event."""
    from audit.models import AuditEvent

    for after in AuditEvent.objects.for_target(claim).order_by("-sequence").values_list("after", flat=True):
        if after and "status" in after:
            return after["status"] == claim.status
    return False


def assert_audit_chain_ok() -> str:
    out = io.StringIO()
    call_command("verify_audit", stdout=out, stderr=io.StringIO())  # raises CommandError when broken
    assert "OK" in out.getvalue(), out.getvalue()
    return out.getvalue()
