"""The verification worker (transactions/worker.py) and the queue services, on the real PostgreSQL.

The bank is the Banesco sandbox: in-process for the worker-in-a-thread tests, the real HTTP server
(`manage.py banesco_sandbox`, counting look-ups) where a look-up must be counted from outside.
"""

import threading
import time
import uuid
from decimal import Decimal

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from banking.models import BankLookup
from tests.transactions.conftest import flat_data
from transactions import services
from transactions.models import Status, Transaction
from transactions.verification_queue import CHANNEL
from transactions.worker import VerificationWorker

URL = "/api/v1/transactions/"


@pytest.fixture
def banesco_prefix(settings):
    """Own cache keys (token, budgets, per-claim limiter) for this test."""
    settings.BANESCO = {
        **settings.BANESCO,
        "ENVIRONMENT": "sandbox",
        "CACHE_PREFIX": f"w-{uuid.uuid4().hex[:8]}",
    }
    return settings.BANESCO["CACHE_PREFIX"]


class WorkerThread:
    """A VerificationWorker running in a thread (its own DB connection), stopped on exit."""

    def __init__(self, **kwargs):
        self.worker = VerificationWorker(**kwargs)
        self.thread = threading.Thread(target=self.worker.run, name="verification-worker", daemon=True)

    def __enter__(self):
        self.thread.start()
        wait_until(lambda: self.worker.waiting, timeout=10)  # first pass done, idle
        return self.worker

    def __exit__(self, *exc):
        self.worker.stop()
        self.thread.join(15)
        assert not self.thread.is_alive(), "the worker did not stop"


def wait_until(predicate, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"not within {timeout} s")


def attempts(claim) -> int:
    return Transaction.objects.filter(pk=claim.pk).values_list("verification_attempts", flat=True).get()


# --- create: no bank call in the request; NOTIFY at commit --------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_create_sends_notify_at_commit_and_none_for_a_rollback(roles, client_user):
    listener = psycopg.connect(**connection.get_connection_params(), autocommit=True)
    try:
        listener.execute(f"LISTEN {CHANNEL}")
        claim, created = services.create_claim(data=flat_data(), actor=client_user)
        assert created
        got = [n.payload for n in listener.notifies(timeout=2, stop_after=1)]
        assert got == [str(claim.pk)]

        from django.db import transaction

        with pytest.raises(RuntimeError), transaction.atomic():
            services.create_claim(data=flat_data(), actor=client_user)
            raise RuntimeError("rolled back")
        assert list(listener.notifies(timeout=0.5)) == []
    finally:
        listener.close()
    assert BankLookup.objects.count() == 0  # creating looked nothing up
    assert Transaction.objects.get(pk=claim.pk).verification_attempts == 0


# --- the worker in a thread -----------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_notify_wakes_the_worker_long_before_its_poll(roles, client_user, banesco_prefix):
    poll = 30.0
    with WorkerThread(poll_interval=poll) as worker:
        assert worker.mode == "listen"
        claim, _ = services.create_claim(data=flat_data(), actor=client_user)
        took = wait_until(lambda: attempts(claim) == 1, timeout=poll / 2)
    assert worker.stats.wakeups.get("notify", 0) >= 1
    assert "poll" not in worker.stats.wakeups
    assert took < poll / 2
    lookup = BankLookup.objects.get(claim_id=claim.pk)
    assert lookup.outcome == "not_found"  # the sandbox has no such payment: 70001, checked again later


@pytest.mark.django_db(transaction=True)
def test_poll_fallback_without_listen(roles, client_user, banesco_prefix):
    with WorkerThread(poll_interval=0.3, listen=False) as worker:
        assert worker.mode == "poll"
        claim, _ = services.create_claim(data=flat_data(), actor=client_user)
        wait_until(lambda: attempts(claim) == 1, timeout=10)
    assert "notify" not in worker.stats.wakeups
    assert worker.stats.wakeups.get("poll", 0) >= 1


@pytest.mark.django_db(transaction=True)
def test_once_verifies_what_is_due_and_exits(roles, client_user, banesco_prefix, capsys):
    claims = [services.create_claim(data=flat_data(), actor=client_user)[0] for _ in range(3)]
    call_command("verification_worker", "--once")
    assert "processed=3 looked_up=3" in capsys.readouterr().out
    assert [attempts(c) for c in claims] == [1, 1, 1]
    call_command("verification_worker", "--once")  # nothing due any more (back-off)
    assert "processed=0" in capsys.readouterr().out


# --- POST …/verify/ ------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_verify_wait_returns_the_workers_outcome(roles, auth_client, client_user, banesco_prefix):
    api = auth_client(client_user)
    claim, _ = services.create_claim(data=flat_data(), actor=client_user)
    call_command("verification_worker", "--once")  # first look-up: not found yet, re-check in minutes
    assert attempts(claim) == 1
    with WorkerThread(poll_interval=30):
        r = api.post(f"{URL}{claim.transaction_id}/verify/?wait=8")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["verification_pending"] is False
    assert body["verification_attempts"] == 2
    assert body["status"] == "IN_PROGRESS"
    assert BankLookup.objects.filter(claim_id=claim.pk).count() == 2


@pytest.mark.django_db
def test_verify_without_wait_is_202_and_queues_a_look_up(auth_client, client_user, banesco_prefix):
    api = auth_client(client_user)
    claim, _ = services.create_claim(data=flat_data(), actor=client_user)
    Transaction.objects.filter(pk=claim.pk).update(next_verification_at=claim.created_at.replace(year=2100))
    r = api.post(f"{URL}{claim.transaction_id}/verify/")
    assert r.status_code == 202
    assert r.json()["verification_pending"] is True and r.json()["status"] == "IN_PROGRESS"
    claim.refresh_from_db()
    assert claim.next_verification_at.year < 2100  # due now: the worker takes it
    assert BankLookup.objects.count() == 0  # the request itself looked nothing up
    call_command("verification_worker", "--once")
    assert attempts(claim) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("wait", ["11", "-1", "abc"])
def test_verify_wait_is_validated(auth_client, client_user, wait):
    claim, _ = services.create_claim(data=flat_data(), actor=client_user)
    r = auth_client(client_user).post(f"{URL}{claim.transaction_id}/verify/?wait={wait}")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "validation_error"
    assert "wait" in str(r.json()["error"]["details"])


@pytest.mark.django_db
def test_reverify_rate_limit_429_with_retry_after(auth_client, client_user, banesco_prefix):
    api = auth_client(client_user)
    claim, _ = services.create_claim(data=flat_data(), actor=client_user)
    call_command("verification_worker", "--once")  # look-up 1 (after create)
    assert api.post(f"{URL}{claim.transaction_id}/verify/").status_code == 202
    call_command("verification_worker", "--once")  # look-up 2 (asked for)
    assert attempts(claim) == 2
    r = api.post(f"{URL}{claim.transaction_id}/verify/")
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(r["Retry-After"]) <= 60
    call_command("verification_worker", "--once")
    assert attempts(claim) == 2  # no third look-up within the minute


@pytest.mark.django_db
def test_verify_permissions_and_status(auth_client, client_user, make_user, auditor_user, reconciler_user):
    claim, _ = services.create_claim(data=flat_data(), actor=client_user)
    other = make_user()
    assert auth_client(other).post(f"{URL}{claim.transaction_id}/verify/").status_code == 404
    r = auth_client(auditor_user).post(f"{URL}{claim.transaction_id}/verify/")
    assert r.status_code == 403 and r.json()["error"]["code"] == "permission_denied"
    assert auth_client(reconciler_user).post(f"{URL}{claim.transaction_id}/verify/").status_code == 202
    Transaction.objects.filter(pk=claim.pk).update(status=Status.COMPLETED)
    r = auth_client(client_user).post(f"{URL}{claim.transaction_id}/verify/")
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_verifiable"


@pytest.mark.django_db
def test_status_reads_the_database_only(auth_client, client_user, banesco_prefix):
    claim, _ = services.create_claim(data=flat_data(amount=Decimal("10.00")), actor=client_user)
    for _ in range(3):
        r = auth_client(client_user).get(f"{URL}{claim.transaction_id}/status/")
        assert r.status_code == 200 and r.json()["status"] == "IN_PROGRESS"
    assert BankLookup.objects.count() == 0
    assert attempts(claim) == 0


@pytest.mark.django_db
def test_worker_metrics_count_claims_queue_depth_and_first_look_up(client_user, banesco_prefix):
    from config.metrics import REGISTRY

    def sample(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before_done = sample("verification_worker_claims_total", result="in_progress")
    before_first = sample("verification_worker_first_lookup_seconds_count")
    for _ in range(2):
        services.create_claim(data=flat_data(), actor=client_user)
    VerificationWorker(poll_interval=1).run(once=True)
    assert sample("verification_worker_claims_total", result="in_progress") == before_done + 2  # 70001
    assert sample("verification_worker_first_lookup_seconds_count") == before_first + 2
    assert sample("verification_worker_queue_depth") == 0  # nothing due after the pass
    services.create_claim(data=flat_data(), actor=client_user)
    VerificationWorker(poll_interval=1, batch_size=1).run(once=True)
    assert sample("verification_worker_first_lookup_seconds_count") == before_first + 3
