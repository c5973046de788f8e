"""End to end against the sandbox running as a real HTTP server (`manage.py banesco_sandbox`)."""

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from banking.client import BanescoClient
from banking.conf import BanescoConfig
from config.clock import caracas_today
from tests.banking.sandbox_server import ROOT, SandboxProcess
from transactions import verification as services
from transactions.models import Transaction


@pytest.fixture(scope="module")
def sandbox():
    server = SandboxProcess(timeout_seconds=2.0)
    yield server
    server.stop()


@pytest.fixture
def http_sandbox(sandbox):
    sandbox.reset()
    return sandbox


@pytest.fixture
def http_config(http_sandbox):
    return BanescoConfig(
        environment="sandbox",
        sandbox_in_process=False,
        auth_base_url=http_sandbox.url,
        api_base_url=http_sandbox.url,
        connect_timeout=1.0,
        read_timeout=0.3,
        retry_attempts=3,
        retry_backoff_initial=0.01,
        retry_backoff_max=0.05,
        cache_prefix=f"it-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture
def http_client(http_config):
    return BanescoClient(http_config)


def pago_movil(reference, amount, phone="584161234567", bank="0102", **extra):
    return {"reference": reference, "amount": str(amount), "phone": phone, "source_bank_id": bank, **extra}


CLAIM = {"customer_phone": "04161234567", "payer_bank_code": "0102"}


@pytest.mark.django_db
def test_claim_completed(http_sandbox, http_client, make_claim):
    http_sandbox.add_payments([pago_movil("111000111000", "320.75")])
    claim = make_claim(reference="111000111000", amount=Decimal("320.75"), **CLAIM)
    outcome = services.verify_claim(claim_id=claim.pk, client=http_client)
    claim.refresh_from_db()
    assert outcome.result == "completed" and claim.status == "COMPLETED"
    assert http_sandbox.counters()["lookups_by_reference"] == {"111000": 1}


@pytest.mark.django_db
def test_transfer_completed_production_flavour_path(http_sandbox, http_config, make_claim):
    http_sandbox.set(flavour="production")
    client = BanescoClient(
        http_config.replace(lookup_path="/financial-account/transactions", realm="realm-api-prd")
    )
    http_sandbox.add_payments(
        [{"reference": "222000222000", "amount": "10.00", "mode": "transfer", "source_bank_id": "0134"}]
    )
    claim = make_claim(
        bank="BANESCO", reference="222000222000", amount=Decimal("10.00"), payer_bank_code="0134"
    )
    assert services.verify_claim(claim_id=claim.pk, client=client).result == "completed"


@pytest.mark.django_db
def test_amount_mismatch_to_review(http_sandbox, http_client, make_claim):
    http_sandbox.add_payments([pago_movil("333000333000", "50.00")])
    claim = make_claim(reference="333000333000", amount=Decimal("55.00"), **CLAIM)
    outcome = services.verify_claim(claim_id=claim.pk, client=http_client)
    assert outcome.status_after == "TO_REVIEW" and "Amount differs" in outcome.reason


@pytest.mark.django_db
@pytest.mark.parametrize("flavour", ["qa", "production"])
def test_not_found_in_progress_then_to_review_after_window(http_sandbox, http_config, make_claim, flavour):
    http_sandbox.set(flavour=flavour)
    if flavour == "production":
        http_config = http_config.replace(lookup_path="/financial-account/transactions")
    http_client = BanescoClient(http_config)
    claim = make_claim(reference="444000444000", **CLAIM)
    outcome = services.verify_claim(claim_id=claim.pk, client=http_client)
    claim.refresh_from_db()
    assert outcome.result == "in_progress" and outcome.lookup.http_status == (200 if flavour == "qa" else 400)
    assert claim.next_verification_at > timezone.now()
    Transaction.objects.filter(pk=claim.pk).update(created_at=timezone.now() - timedelta(days=3))
    outcome = services.verify_claim(claim_id=claim.pk, client=http_client, force=True)
    assert outcome.status_after == "TO_REVIEW"


@pytest.mark.django_db
@pytest.mark.parametrize("fault", ["5xx", "html", "maintenance", "crt503", "malformed", "timeout"])
def test_bank_down_unknown_then_completed_by_sweep(http_sandbox, http_client, make_claim, fault):
    http_sandbox.add_payments([pago_movil("555000555000", "12.34")])
    http_sandbox.set(fault=fault, count=3)  # exactly the retry budget
    claim = make_claim(reference="555000555000", amount=Decimal("12.34"), **CLAIM)
    outcome = services.verify_claim(claim_id=claim.pk, client=http_client)
    claim.refresh_from_db()
    assert claim.status == "UNKNOWN" and outcome.lookup.attempts == 3
    Transaction.objects.filter(pk=claim.pk).update(next_verification_at=timezone.now())
    summary = services.verify_due_claims(client=http_client)
    claim.refresh_from_db()
    assert claim.status == "COMPLETED" and summary.completed == 1
    assert http_sandbox.counters()["lookups_by_reference"]["555000"] == 4


@pytest.mark.django_db
def test_rate_limited_429_retried_after_retry_after(http_sandbox, http_config, make_claim):
    slept = []
    client = BanescoClient(http_config, sleep=slept.append)
    http_sandbox.add_payments([pago_movil("666000666000", "1.00")])
    http_sandbox.set(fault="429", count=1)
    claim = make_claim(reference="666000666000", amount=Decimal("1.00"), **CLAIM)
    assert services.verify_claim(claim_id=claim.pk, client=client).result == "completed"
    assert 1.0 in slept  # the sandbox's Retry-After: 1


@pytest.mark.django_db
def test_expired_token_refreshed_once(http_sandbox, http_client, make_claim):
    http_sandbox.add_payments([pago_movil("777000777000", "9.99")])
    http_client.tokens.get_token()
    http_sandbox.set(fault="expired_token", count=1)
    claim = make_claim(reference="777000777000", amount=Decimal("9.99"), **CLAIM)
    assert services.verify_claim(claim_id=claim.pk, client=http_client).result == "completed"
    assert http_sandbox.counters()["token_requests"] == 2


@pytest.mark.django_db
def test_wrong_realm_is_credentials_unknown(http_sandbox, http_config, make_claim):
    client = BanescoClient(http_config.replace(realm="realm-api-nope"))
    claim = make_claim(reference="888000888000", **CLAIM)
    outcome = services.verify_claim(claim_id=claim.pk, client=client)
    assert outcome.status_after == "UNKNOWN" and outcome.lookup.credentials
    assert "invalid_realm" in outcome.lookup.code.lower()


@pytest.mark.django_db(transaction=True)
def test_two_sweeper_processes_look_each_claim_up_exactly_once(http_sandbox, make_user):
    n = 500
    owner = make_user(role=None)
    today = caracas_today()
    http_sandbox.reset(seed_demo=False)
    http_sandbox.set(latency_ms=10)  # so that both sweepers are busy at the same time
    http_sandbox.add_payments([pago_movil(f"{900000000000 + i}", "10.00") for i in range(n)])
    Transaction.objects.bulk_create(
        Transaction(
            transaction_id=f"sweep-{i}",
            bank="MOBILE_TRANSFER",
            reference=f"{900000000000 + i}",
            amount=Decimal("10.00"),
            payment_date=today,
            customer_full_name="Sweep Test",
            customer_national_id="V12345678",
            created_by=owner,
            next_verification_at=timezone.now() - timedelta(seconds=5),
            **CLAIM,
        )
        for i in range(n)
    )
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "test",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": "redis://127.0.0.1:6379/5",
        "BANESCO_ENVIRONMENT": "sandbox",
        "BANESCO_SANDBOX_IN_PROCESS": "false",
        "BANESCO_AUTH_BASE_URL": http_sandbox.url,
        "BANESCO_API_BASE_URL": http_sandbox.url,
        "BANESCO_CACHE_PREFIX": f"sweep-{uuid.uuid4().hex[:8]}",
        "BANESCO_LOOKUPS_PER_SECOND": "10000",
    }
    cmd = [
        sys.executable,
        "manage.py",
        "verify_pending",
        "--workers",
        "2",
        "--batch-size",
        "5",
        "--no-progress",
    ]
    procs = [
        subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=240) for p in procs]
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err.decode()[-2000:]
    checked = [int(out.decode().split("checked=")[1].split()[0]) for out, _ in outputs]
    assert sum(checked) == n and all(c > 0 for c in checked), checked  # both did real work

    counters = http_sandbox.counters()
    assert counters["lookup_requests"] == n
    assert len(counters["lookups_by_reference"]) == n
    assert set(counters["lookups_by_reference"].values()) == {1}
    assert counters["token_requests"] == 1  # one token shared by both processes through Redis
    assert Transaction.objects.filter(status="COMPLETED").count() == n
