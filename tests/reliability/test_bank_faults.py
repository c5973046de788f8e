"""Bank fault matrix against the Banesco sandbox running as a real HTTP server.

For every fault: N claims, a sweep with the fault on → each claim ends where DESIGN.md section 3 says
(UNKNOWN when retries are exhausted or credentials are refused; never COMPLETED/CANCELED wrongly,
never lost), look-ups at the sandbox are bounded by the retry budget; then the fault clears, the
claims become due again and a second sweep completes every one of them (they were seeded).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from banking.client import BanescoClient
from banking.conf import BanescoConfig
from banking.models import BankLookup
from tests.banking.sandbox_server import free_port
from transactions import verification as services
from transactions.models import Transaction

from .conftest import LONG, assert_audit_chain_ok, seeded_payment, status_matches_last_event

pytestmark = pytest.mark.django_db

N = 20
RETRIES = 3


def http_config(sandbox, **changes) -> BanescoConfig:
    config = BanescoConfig(
        environment="sandbox",
        sandbox_in_process=False,
        auth_base_url=sandbox.url,
        api_base_url=sandbox.url,
        connect_timeout=0.5,
        read_timeout=0.25,
        retry_attempts=RETRIES,
        retry_backoff_initial=0.001,
        retry_backoff_max=0.002,
        lookups_per_second=100_000,
        claim_lookups_per_minute=1000,
        breaker_threshold=10_000,  # per-claim outcomes here; the breaker has its own test below
        cache_prefix=f"rel-{uuid.uuid4().hex[:8]}",
    )
    return config.replace(**changes)


class RecordedSleep(list):
    """Sleeps are recorded, never slept (Retry-After etc. stay observable, the suite stays fast)."""

    def __call__(self, seconds):
        self.append(seconds)


def make_due(claims) -> None:
    # Bookkeeping only (no status change): what the sweep's own back-off would do after its delay.
    Transaction.objects.filter(pk__in=[c.pk for c in claims]).update(
        next_verification_at=timezone.now() - timedelta(seconds=1)
    )


def statuses(claims) -> dict[str, int]:
    out: dict[str, int] = {}
    for status in Transaction.objects.filter(pk__in=[c.pk for c in claims]).values_list("status", flat=True):
        out[status] = out.get(status, 0) + 1
    return out


# name -> (sandbox switch, client config changes, expected status, lookups per claim at the sandbox,
#          expected lookup code fragment)
FAULTS = {
    "timeout": ("timeout", {}, "UNKNOWN", RETRIES, "TIMEOUT"),
    "connection_refused": (None, {"api_base_url": "CLOSED"}, "UNKNOWN", 0, "CONNECTION_ERROR"),
    "5xx": ("5xx", {}, "UNKNOWN", RETRIES, ""),
    "429_retry_after": ("429", {}, "UNKNOWN", RETRIES, "VRN05"),
    "maintenance_vrn04": ("maintenance", {}, "UNKNOWN", RETRIES, "VRN04"),
    "maintenance_crt503": ("crt503", {}, "UNKNOWN", RETRIES, "CRT503"),
    "malformed_json": ("malformed", {}, "UNKNOWN", RETRIES, ""),
    "html_error_page": ("html", {}, "UNKNOWN", RETRIES, ""),
    # a token that keeps expiring: one refresh + one retry, then it is a credentials problem
    # (the sandbox counts only look-ups made with a live token: the one after each refresh)
    "token_always_expired": ("expired_token", {}, "UNKNOWN", 1, "HTTP401"),
    "credentials_vrn01": ("vrn01", {}, "UNKNOWN", 2, "VRN01"),
    "wrong_realm": (None, {"realm": "realm-api-nope"}, "UNKNOWN", 0, "REALM"),
    "status_code_as_number": ("status_number", {}, "COMPLETED", 1, ""),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_matrix(name, http_sandbox, make_claims):
    switch, changes, expected, lookups_per_claim, code = FAULTS[name]
    n = N if (name != "timeout" or LONG) else 6  # each timed-out attempt costs read_timeout
    claims = make_claims(n)
    http_sandbox.add_payments([seeded_payment(c) for c in claims])
    if switch:
        http_sandbox.set(fault=switch)
    good = http_config(http_sandbox)
    if changes.get("api_base_url") == "CLOSED":
        changes = {**changes, "api_base_url": f"http://127.0.0.1:{free_port()}"}
    faulty = good.replace(**changes)
    slept = RecordedSleep()

    summary = services.verify_due_claims(client=BanescoClient(faulty, sleep=slept), batch_size=5)

    assert summary.checked == n and summary.failed == 0, summary
    counts = statuses(claims)
    assert counts == {expected: n}, counts  # never wrongly COMPLETED/CANCELED, none left behind
    counters = http_sandbox.counters()
    # retries bounded (token_always_expired: the very first look-up also had a live token)
    extra = 1 if name == "token_always_expired" else 0
    assert counters["lookup_requests"] == n * lookups_per_claim + extra, counters
    assert counters["token_requests"] <= n + 1, counters  # at most one refresh per claim
    lookups = list(BankLookup.objects.filter(claim_id__in=[c.pk for c in claims]))
    assert len(lookups) == n
    if expected == "UNKNOWN":
        assert all(code.upper() in (lk.code or "").upper() for lk in lookups), {lk.code for lk in lookups}
        assert all(lk.attempts <= RETRIES for lk in lookups)
        if switch not in ("expired_token", "vrn01") and name != "wrong_realm":
            assert all(lk.attempts == RETRIES for lk in lookups)
    if name == "429_retry_after":
        assert slept.count(1.0) == n * (RETRIES - 1)  # the sandbox's Retry-After: 1 honoured
    for claim in claims:
        claim.refresh_from_db()
        assert status_matches_last_event(claim), claim.transaction_id
        if expected == "UNKNOWN":
            assert claim.next_verification_at is not None  # the sweep will come back to it

    # The fault clears; the claims come due again; the next sweep completes every seeded payment.
    http_sandbox.set(clear=True)
    make_due(claims)
    before = http_sandbox.counters()["lookup_requests"]
    summary = services.verify_due_claims(client=BanescoClient(good, sleep=slept), batch_size=5)
    if expected == "COMPLETED":
        assert summary.checked == 0
    else:
        assert summary.completed == n, summary
        assert http_sandbox.counters()["lookup_requests"] - before == n
    assert statuses(claims) == {"COMPLETED": n}
    assert Transaction.objects.filter(pk__in=[c.pk for c in claims]).count() == n
    for claim in claims:
        claim.refresh_from_db()
        assert status_matches_last_event(claim)
    assert_audit_chain_ok()


def test_token_expires_mid_sweep_is_refreshed_once(http_sandbox, make_claims):
    claims = make_claims(N)
    http_sandbox.add_payments([seeded_payment(c) for c in claims])
    client = BanescoClient(http_config(http_sandbox), sleep=RecordedSleep())
    first = services.verify_due_claims(client=client, limit=N // 2, batch_size=5)
    assert first.completed == N // 2
    http_sandbox.set(fault="expired_token", count=1)  # the bank drops the token in the middle
    second = services.verify_due_claims(client=client, batch_size=5)
    assert second.completed == N - N // 2, second
    counters = http_sandbox.counters()
    assert counters["token_requests"] == 2  # one refresh, shared by the rest of the sweep
    assert counters["lookup_requests"] == N + 1  # only the rejected look-up was repeated
    assert statuses(claims) == {"COMPLETED": N}


def test_breaker_opens_bounded_lookups_then_recovers(http_sandbox, make_claims):
    claims = make_claims(N)
    http_sandbox.add_payments([seeded_payment(c) for c in claims])
    http_sandbox.set(fault="5xx")
    config = http_config(http_sandbox, breaker_threshold=3, breaker_cooldown_seconds=3600)
    client = BanescoClient(config, sleep=RecordedSleep())

    summary = services.verify_due_claims(client=client, batch_size=5)

    assert summary.checked == N and summary.unknown == 3
    assert summary.skipped_reasons == {"breaker_open": N - 3}
    assert http_sandbox.counters()["lookup_requests"] == 3 * RETRIES  # the bank is left alone
    counts = statuses(claims)
    assert counts == {"UNKNOWN": 3, "IN_PROGRESS": N - 3}, counts  # skipped ones stay pending, not lost
    assert not Transaction.objects.filter(pk__in=[c.pk for c in claims], next_verification_at=None).exists()

    http_sandbox.set(clear=True)
    client.breaker.reset()  # what the cool-down (or an operator) does
    make_due(claims)
    summary = services.verify_due_claims(client=client, batch_size=5)
    assert summary.completed == N
    assert statuses(claims) == {"COMPLETED": N}
    assert_audit_chain_ok()
