"""transactions.verification (verify_claim, the sweep) against the in-process sandbox and PostgreSQL."""

import logging
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from banking.budget import ClaimLimiter, GlobalBudget
from banking.client import BanescoClient
from banking.models import BankLookup
from config.errors import PermissionDenied
from transactions import services as tx_services
from transactions import verification as services
from transactions.models import Transaction

pytestmark = pytest.mark.django_db

DEMO_MOBILE = {"reference": "012345678901", "customer_phone": "04141234567", "payer_bank_code": "0102"}


@pytest.fixture
def client(sandbox_config, sandbox_state):
    return BanescoClient(sandbox_config, sandbox_state=sandbox_state, sleep=lambda s: None)


def events(claim):
    return list(AuditEvent.objects.for_target(claim).order_by("sequence").values_list("action", flat=True))


def test_matching_pago_movil_completes(make_claim, client, sandbox_state):
    claim = make_claim(**DEMO_MOBILE, amount=Decimal("150.00"))
    outcome = services.verify_claim(claim_id=claim.pk, client=client)
    claim.refresh_from_db()
    assert outcome.result == "completed" and claim.status == "COMPLETED"
    assert claim.verification_attempts == 1 and claim.last_verified_at is not None
    assert claim.next_verification_at is None
    lookup = BankLookup.objects.get(claim_id=claim.pk)
    assert claim.decided_lookup == lookup and lookup.outcome == "found"
    # The raw body of the look-up is kept as the bank sent it (the ERD's banesco_payload mirrors it).
    assert lookup.body["dataResponse"]["transactionDetail"][0]["referenceNumber"] == "012345678901"
    assert claim.banesco_payload == lookup.body
    assert lookup.request == {
        "mode": "mobile",
        "reference": "678901",
        "bank_id": "0102",
        "phone": "58414***4567",
        "start_date": claim.payment_date.isoformat(),
    }
    assert claim.bank_amount == Decimal("150.00") and claim.status_reason_code == "VERIFIED"
    assert events(claim) == ["transaction.status_changed"]
    assert sandbox_state.lookups_by_reference["678901"] == 1  # pago móvil: last 6 digits


def test_matching_transfer_completes(make_claim, client):
    claim = make_claim(
        bank="BANESCO", reference="987654321012", payer_bank_code="0134", amount=Decimal("2500.50")
    )
    assert services.verify_claim(claim_id=claim.pk, client=client).result == "completed"


@pytest.mark.parametrize("quirk", ["status_number", "amount_string", "bank_id_unpadded", "space_padded"])
def test_quirks_still_complete(make_claim, client, sandbox_state, quirk):
    sandbox_state.set_fault(quirk)
    claim = make_claim(**DEMO_MOBILE)
    assert services.verify_claim(claim_id=claim.pk, client=client).status_after == "COMPLETED"


@pytest.mark.parametrize(
    ("fields", "reason_part"),
    [
        ({**DEMO_MOBILE, "amount": Decimal("150.01")}, "Amount differs"),
        (
            {
                "reference": "011122233344",
                "customer_phone": "04241112233",
                "payer_bank_code": "0105",
                "amount": 100,
            },
            "Amount differs",
        ),
        ({"reference": "055566677788", "customer_phone": "04125556677", "payer_bank_code": "0108"}, "debit"),
        (
            {
                "reference": "066677788899",
                "customer_phone": "04147778899",
                "payer_bank_code": "0191",
                "amount": 75,
            },
            "Several bank movements",
        ),
    ],
)
def test_mismatches_go_to_review_with_reason(make_claim, client, fields, reason_part):
    claim = make_claim(**fields)
    outcome = services.verify_claim(claim_id=claim.pk, client=client)
    claim.refresh_from_db()
    assert claim.status == "TO_REVIEW" and outcome.result == "to_review"
    assert reason_part in claim.status_reason and claim.status_reason_code
    assert events(claim) == ["transaction.status_changed"]


def test_reference_already_used_by_completed_claim_goes_to_review(make_claim, client):
    first = make_claim(**DEMO_MOBILE)
    assert services.verify_claim(claim_id=first.pk, client=client).result == "completed"
    # Same bank movement (the bank row's reference ends with this claim's 6+ digits), another claim.
    second = make_claim(**{**DEMO_MOBILE, "reference": "345678901"})
    outcome = services.verify_claim(claim_id=second.pk, client=client)
    assert outcome.result == "to_review"
    assert first.transaction_id in outcome.reason
    second.refresh_from_db()
    assert second.status_reason_code == "DUPLICATE_REFERENCE"


def test_not_found_stays_in_progress_then_to_review_after_window(make_claim, client, sandbox_config):
    claim = make_claim(reference="123123123123")
    before = timezone.now()
    outcome = services.verify_claim(claim_id=claim.pk, client=client)
    claim.refresh_from_db()
    assert outcome.result == "in_progress" and claim.status == "IN_PROGRESS"
    assert claim.next_verification_at > before
    assert claim.verification_attempts == 1
    assert events(claim) == ["transaction.verified"]

    # The window (from creation) has ended: the next not-found decides TO_REVIEW.
    Transaction.objects.filter(pk=claim.pk).update(
        created_at=timezone.now() - timedelta(hours=sandbox_config.not_found_window_hours, minutes=1)
    )
    outcome = services.verify_claim(claim_id=claim.pk, client=client, force=True)
    claim.refresh_from_db()
    assert claim.status == "TO_REVIEW" and "Not found" in claim.status_reason
    assert events(claim) == ["transaction.verified", "transaction.status_changed"]


def test_not_found_backoff_capped_by_window(make_claim, client, sandbox_config):
    claim = make_claim(reference="123123123124")
    Transaction.objects.filter(pk=claim.pk).update(
        created_at=timezone.now()
        - timedelta(hours=sandbox_config.not_found_window_hours)
        + timedelta(seconds=30)
    )
    services.verify_claim(claim_id=claim.pk, client=client)
    claim.refresh_from_db()
    assert claim.next_verification_at <= claim.created_at + timedelta(
        hours=sandbox_config.not_found_window_hours
    )


def test_bank_down_unknown_then_completed_by_sweep(make_claim, client, sandbox_state):
    claim = make_claim(**DEMO_MOBILE)
    sandbox_state.set_fault("5xx")
    outcome = services.verify_claim(claim_id=claim.pk, client=client)
    claim.refresh_from_db()
    assert outcome.result == "unknown" and claim.status == "UNKNOWN"
    assert outcome.lookup.attempts == 3
    assert claim.next_verification_at > timezone.now()

    sandbox_state.clear_faults()
    Transaction.objects.filter(pk=claim.pk).update(next_verification_at=timezone.now())
    summary = services.verify_due_claims(client=client)
    claim.refresh_from_db()
    assert claim.status == "COMPLETED" and summary.completed == 1
    assert events(claim) == ["transaction.status_changed", "transaction.status_changed"]


def test_credentials_refused_unknown_and_error_log(make_claim, sandbox_config, sandbox_state, caplog):
    sandbox_state.client_secret = "rotated"
    client = BanescoClient(sandbox_config, sandbox_state=sandbox_state, sleep=lambda s: None)
    claim = make_claim(**DEMO_MOBILE)
    with caplog.at_level(logging.ERROR):
        outcome = services.verify_claim(claim_id=claim.pk, client=client)
    claim.refresh_from_db()
    assert claim.status == "UNKNOWN" and claim.status_reason_code == "CONFIG_FAULT"
    assert "BANESCO_CLIENT_ID / BANESCO_CLIENT_SECRET" in claim.status_reason
    assert outcome.lookup.credentials
    assert claim.verification_attempts == 0  # our fault, not the claim's: no retry burnt
    assert any(
        r.levelno >= logging.ERROR and "BANESCO_CLIENT_SECRET" in r.getMessage() for r in caplog.records
    )


def test_not_due_is_skipped_force_is_not(make_claim, client, sandbox_state):
    claim = make_claim(**DEMO_MOBILE, next_verification_at=timezone.now() + timedelta(hours=1))
    assert services.verify_claim(claim_id=claim.pk, client=client).skipped == "not_due"
    assert sandbox_state.lookup_requests == 0
    assert services.verify_claim(claim_id=claim.pk, client=client, force=True).result == "completed"


def test_final_claims_are_not_verified(make_claim, client):
    claim = make_claim(**DEMO_MOBILE, status="CANCELED")
    assert services.verify_claim(claim_id=claim.pk, client=client, force=True).skipped == "not_verifiable"


def test_per_claim_limit_two_lookups_per_minute_even_when_forced(make_claim, client, sandbox_state):
    claim = make_claim(reference="123123123125")  # not found: stays IN_PROGRESS
    results = [services.verify_claim(claim_id=claim.pk, client=client, force=True) for _ in range(3)]
    assert [r.result for r in results] == ["in_progress", "in_progress", "skipped"]
    assert results[2].skipped == "claim_rate_limited" and 0 < results[2].retry_after <= 60
    assert sandbox_state.lookups_by_reference["123125"] == 2


def test_force_needs_permission(make_claim, client, auditor_user, reconciler_user):
    claim = make_claim(**DEMO_MOBILE)
    with pytest.raises(PermissionDenied):  # auditors read, never trigger look-ups
        services.verify_claim(claim_id=claim.pk, client=client, force=True, actor=auditor_user)
    assert services.verify_claim(
        claim_id=claim.pk, client=client, force=True, actor=reconciler_user
    ).result == ("completed")


def test_change_during_lookup_is_a_conflict_not_overwritten(make_claim, client, client_user, monkeypatch):
    claim = make_claim(**DEMO_MOBILE, created_by=client_user)
    real_lookup = client.lookup

    def lookup_while_client_cancels(query):
        result = real_lookup(query)
        tx_services.claim_cancel(claim=claim.pk, actor=claim.created_by, reason="changed my mind")
        return result

    monkeypatch.setattr(client, "lookup", lookup_while_client_cancels)
    outcome = services.verify_claim(claim_id=claim.pk, client=client)
    claim.refresh_from_db()
    assert outcome.skipped == "conflict"
    assert claim.status == "CANCELED" and claim.verification_attempts == 0


def test_breaker_open_skips_without_touching_claim(make_claim, sandbox_config, sandbox_state):
    client = BanescoClient(
        sandbox_config.replace(breaker_threshold=1, retry_attempts=1),
        sandbox_state=sandbox_state,
        sleep=lambda s: 0,
    )
    sandbox_state.set_fault("maintenance")
    first, second = make_claim(**DEMO_MOBILE), make_claim(reference="123123123126")
    assert services.verify_claim(claim_id=first.pk, client=client).result == "unknown"
    outcome = services.verify_claim(claim_id=second.pk, client=client)
    second.refresh_from_db()
    assert (
        outcome.skipped == "breaker_open"
        and second.status == "IN_PROGRESS"
        and second.verification_attempts == 0
    )
    assert sandbox_state.lookup_requests == 1


def test_global_budget_per_second():
    from banking.conf import BanescoConfig

    now = [100.2]
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    budget = GlobalBudget(
        BanescoConfig(lookups_per_second=2, cache_prefix="budget-t"), clock=lambda: now[0], sleep=sleep
    )
    assert budget.acquire(max_wait=0) and budget.acquire(max_wait=0)
    assert not budget.acquire(max_wait=0)  # third in the same second: rejected
    assert budget.acquire(max_wait=2)  # waits for the next second
    assert slept and 0 < slept[0] <= 1


def test_claim_limiter_sliding_window():
    from banking.conf import BanescoConfig

    limiter = ClaimLimiter(BanescoConfig(claim_lookups_per_minute=2, cache_prefix="lim-t"))
    assert limiter.try_acquire("c1")[0] and limiter.try_acquire("c1")[0]
    allowed, retry_after = limiter.try_acquire("c1")
    assert not allowed and 1 <= retry_after <= 60
    assert limiter.try_acquire("c2")[0]  # other claims are independent


def test_sweep_summary_and_limit(make_claim, client):
    make_claim(**DEMO_MOBILE)
    make_claim(reference="123123123127")
    make_claim(**{**DEMO_MOBILE, "reference": "022345678901", "customer_phone": "04149999999"})  # not found
    make_claim(reference="555555555555", next_verification_at=timezone.now() + timedelta(hours=1))  # not due
    summary = services.verify_due_claims(client=client, limit=2, batch_size=1)
    assert summary.checked == 2
    summary2 = services.verify_due_claims(client=client)
    total = summary.checked + summary2.checked
    assert total == 3
    assert summary.completed + summary2.completed == 1
    assert summary.still_pending + summary2.still_pending == 2


@pytest.mark.django_db(transaction=True)
def test_lease_skips_locked_rows_and_pushes_next_verification(make_claim):
    a, b, c = make_claim(), make_claim(), make_claim()
    locked = threading.Event()
    release = threading.Event()

    def hold_lock():
        with transaction.atomic():
            Transaction.objects.select_for_update().get(pk=a.pk)
            locked.set()
            release.wait(10)
        connection.close()

    t = threading.Thread(target=hold_lock)
    t.start()
    try:
        assert locked.wait(10)
        leased = services.lease_due_claims(batch_size=10, lease_seconds=300)
        ids = {pk for pk, _ in leased}
        assert ids == {b.pk, c.pk}
        assert services.lease_due_claims(batch_size=10, lease_seconds=300) == []  # b, c leased; a locked
    finally:
        release.set()
        t.join()
    b.refresh_from_db()
    assert b.next_verification_at > timezone.now() + timedelta(seconds=250)
    assert b.status == "IN_PROGRESS" and AuditEvent.objects.for_target(b).count() == 0
    assert {pk for pk, _ in services.lease_due_claims(batch_size=10, lease_seconds=300)} == {a.pk}
