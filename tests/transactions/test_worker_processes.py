"""`manage.py verification_worker` as real processes against the HTTP Banesco sandbox, which counts
every look-up it receives (so a duplicate or a lost claim cannot hide)."""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from banking.sandbox.state import caracas_today
from tests.banking.sandbox_server import ROOT, SandboxProcess
from transactions.models import Transaction

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def sandbox():
    server = SandboxProcess(timeout_seconds=2.0)
    yield server
    server.stop()


def _env(sandbox) -> dict:
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "test",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": "redis://127.0.0.1:6379/5",
        "BANESCO_ENVIRONMENT": "sandbox",
        "BANESCO_SANDBOX_IN_PROCESS": "false",
        "BANESCO_AUTH_BASE_URL": sandbox.url,
        "BANESCO_API_BASE_URL": sandbox.url,
        "BANESCO_CACHE_PREFIX": f"worker-{uuid.uuid4().hex[:8]}",
        "BANESCO_LOOKUPS_PER_SECOND": "10000",
    }


def _due_claims(owner, n: int, sandbox, prefix: int) -> list[str]:
    refs = [f"{prefix + i}" for i in range(n)]
    sandbox.add_payments(
        [{"reference": r, "amount": "10.00", "phone": "584161234567", "source_bank_id": "0102"} for r in refs]
    )
    Transaction.objects.bulk_create(
        Transaction(
            transaction_id=f"w-{r}",
            bank="MOBILE_TRANSFER",
            reference=r,
            amount=Decimal("10.00"),
            payment_date=caracas_today(),
            payer_bank_code="0102",
            customer_full_name="Worker Test",
            customer_phone="04161234567",
            customer_national_id="V12345678",
            created_by=owner,
            next_verification_at=timezone.now() - timedelta(seconds=5),
        )
        for r in refs
    )
    return refs


def _worker(sandbox, *args) -> subprocess.Popen:
    cmd = [sys.executable, "manage.py", "verification_worker", *args]
    return subprocess.Popen(
        cmd, cwd=ROOT, env=_env(sandbox), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_two_workers_over_500_claims_look_each_up_exactly_once(sandbox, make_user):
    n = 500
    sandbox.reset(seed_demo=False)
    sandbox.set(latency_ms=10)  # so that both workers are busy at the same time
    _due_claims(make_user(role=None), n, sandbox, prefix=910000000000)
    procs = [_worker(sandbox, "--once", "--batch-size", "5") for _ in range(2)]
    outputs = [p.communicate(timeout=240) for p in procs]
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err[-2000:]
    processed = [int(out.split("processed=")[1].split()[0]) for out, _ in outputs]
    assert sum(processed) == n and all(c > 0 for c in processed), processed  # both did real work

    counters = sandbox.counters()
    assert counters["lookup_requests"] == n
    assert len(counters["lookups_by_reference"]) == n
    assert set(counters["lookups_by_reference"].values()) == {1}
    assert Transaction.objects.filter(status="COMPLETED").count() == n


def test_sigterm_mid_batch_loses_nothing(sandbox, make_user):
    n = 60
    sandbox.reset(seed_demo=False)
    sandbox.set(latency_ms=150)
    _due_claims(make_user(role=None), n, sandbox, prefix=920000000000)
    proc = _worker(sandbox, "--batch-size", "20", "--poll-interval", "60")
    deadline = time.monotonic() + 60
    while Transaction.objects.filter(verification_attempts__gt=0).count() < 3:
        assert proc.poll() is None, proc.stderr.read()[-2000:]
        assert time.monotonic() < deadline, "the worker verified nothing"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-2000:]
    released = int(out.split("released=")[1].split()[0])
    assert released > 0, out  # it was stopped in the middle of a leased batch

    now = timezone.now()
    verified = Transaction.objects.filter(verification_attempts=1)
    assert set(verified.values_list("status", flat=True)) == {"COMPLETED"}
    untouched = Transaction.objects.filter(verification_attempts=0)
    assert verified.count() + untouched.count() == n
    # Nothing is stuck behind a lease: every unverified claim is due again right away.
    assert not untouched.filter(next_verification_at__gt=now).exists()
    assert untouched.count() >= released
    # Every look-up the bank saw is recorded on its claim (the claim in hand was finished).
    assert sandbox.counters()["lookup_requests"] == verified.count()


def test_create_returns_before_any_bank_call(
    sandbox, settings, auth_client, client_user, api_payload, capsys
):
    """POST create against a slow bank (1 s per look-up): the bank sees nothing during the request."""
    sandbox.reset(seed_demo=False)
    sandbox.set(latency_ms=1000)
    settings.BANESCO = {
        **settings.BANESCO,
        "ENVIRONMENT": "sandbox",
        "SANDBOX_IN_PROCESS": False,
        "AUTH_BASE_URL": sandbox.url,
        "API_BASE_URL": sandbox.url,
        "CACHE_PREFIX": f"create-{uuid.uuid4().hex[:8]}",
    }
    r = auth_client(client_user).post("/api/v1/transactions/", api_payload(), format="json")
    assert r.status_code == 201 and r.json()["status"] == "IN_PROGRESS"
    assert r.json()["verification_attempts"] == 0
    assert sandbox.counters()["lookup_requests"] == 0  # no look-up during (or because of) the request
    call_command("verification_worker", "--once")
    assert "looked_up=1" in capsys.readouterr().out
    assert sandbox.counters()["lookup_requests"] == 1
    assert Transaction.objects.get(transaction_id=r.json()["transaction_id"]).verification_attempts == 1
