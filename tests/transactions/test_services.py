import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from config.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tests.transactions.conftest import flat_data
from transactions import services
from transactions.models import Status, Transaction

pytestmark = pytest.mark.django_db

S = Status
ALL = list(Status.values)
ALLOWED = {
    (S.IN_PROGRESS, S.COMPLETED),
    (S.IN_PROGRESS, S.TO_REVIEW),
    (S.IN_PROGRESS, S.UNKNOWN),
    (S.IN_PROGRESS, S.CANCELED),
    (S.UNKNOWN, S.COMPLETED),
    (S.UNKNOWN, S.TO_REVIEW),
    (S.UNKNOWN, S.IN_PROGRESS),
    (S.UNKNOWN, S.CANCELED),
    (S.TO_REVIEW, S.COMPLETED),
    (S.TO_REVIEW, S.CANCELED),
    (S.COMPLETED, S.TO_REVIEW),
    (S.CANCELED, S.TO_REVIEW),
}


def events(claim, action=None):
    qs = AuditEvent.objects.for_target(claim)
    return qs.filter(action=action) if action else qs


# --- create ---------------------------------------------------------------------------------


def test_create_normalises_schedules_and_audits(client_user):
    data = flat_data(customer_phone="+58 414-765 4321", customer_national_id="v-9.876.543", amount="10.5")
    claim, created = services.create_claim(data=data, actor=client_user)
    assert created
    claim.refresh_from_db()
    assert claim.status == Status.IN_PROGRESS
    assert claim.customer_phone == "04147654321"
    assert claim.customer_national_id == "V9876543"
    assert claim.amount == Decimal("10.50")
    assert claim.created_by == client_user
    assert claim.next_verification_at is not None and claim.next_verification_at <= timezone.now()
    (event,) = events(claim)
    assert event.action == "transaction.created"
    assert event.actor == client_user
    assert event.after["transaction_id"] == claim.transaction_id
    assert event.after["amount"] == "10.50"


def test_create_same_payload_is_idempotent(client_user):
    data = flat_data()
    first, created1 = services.create_claim(data=data, actor=client_user)
    # Different spelling of the same values normalises to the same claim.
    again = dict(data, customer_phone="+58 414 1234567", amount="100", customer_national_id="v-12.345.678")
    second, created2 = services.create_claim(data=again, actor=client_user)
    assert created1 and not created2
    assert first.pk == second.pk
    assert Transaction.objects.count() == 1
    assert events(first, "transaction.created").count() == 1


def test_create_conflicting_replay_lists_fields(client_user):
    data = flat_data()
    services.create_claim(data=data, actor=client_user)
    with pytest.raises(Conflict) as exc:
        services.create_claim(data=dict(data, amount="101.00", concept="otro"), actor=client_user)
    assert exc.value.code == "idempotency_conflict"
    assert sorted(exc.value.details["fields"]) == ["amount", "concept"]
    assert Transaction.objects.count() == 1


def test_create_replay_by_another_user_is_conflict_not_a_leak(client_user, make_user):
    data = flat_data()
    services.create_claim(data=data, actor=client_user)
    with pytest.raises(Conflict) as exc:
        services.create_claim(data=data, actor=make_user("client"))
    assert exc.value.code == "transaction_id_in_use"
    assert "customer_phone" not in str(exc.value.details)


def test_duplicate_reference_and_type_is_conflict(client_user):
    data = flat_data()
    services.create_claim(data=data, actor=client_user)
    with pytest.raises(Conflict) as exc:
        services.create_claim(data=dict(data, transaction_id="other-id"), actor=client_user)
    assert exc.value.code == "duplicate_reference"
    # Same reference as a COMMISSION is a different claim.
    _claim, created = services.create_claim(
        data=dict(data, transaction_id="commission-id", transaction_type="COMMISSION"), actor=client_user
    )
    assert created


def test_duplicate_reference_allowed_after_soft_delete(client_user):
    data = flat_data()
    claim, _ = services.create_claim(data=data, actor=client_user)
    Transaction.objects.filter(pk=claim.pk).update(deleted_at=timezone.now())
    _, created = services.create_claim(data=dict(data, transaction_id="new-id"), actor=client_user)
    assert created


def test_create_invalid_data_writes_nothing(client_user):
    with pytest.raises(ValidationFailed) as exc:
        services.create_claim(data=flat_data(amount="0", customer_phone="123"), actor=client_user)
    assert set(exc.value.details) == {"amount", "customer_phone"}
    assert Transaction.objects.count() == 0
    assert AuditEvent.objects.filter(action="transaction.created").count() == 0


def test_create_makes_the_claim_due_now_without_a_bank_call(client_user):
    from banking.models import BankLookup

    claim, _ = services.create_claim(data=flat_data(), actor=client_user)
    assert claim.status == "IN_PROGRESS" and claim.verification_attempts == 0
    assert claim.next_verification_at <= timezone.now()  # the verification worker takes it
    assert BankLookup.objects.count() == 0


# --- transitions ----------------------------------------------------------------------------


@pytest.mark.parametrize(("src", "dst"), list(itertools.product(ALL, ALL)))
def test_transition_matrix_system_actor(make_claim, src, dst):
    claim = make_claim(status=src)
    if (src, dst) in ALLOWED:
        out = services.transition(claim=claim, to_status=dst, actor=None, reason="because")
        assert out.status == dst
        assert Transaction.objects.get(pk=claim.pk).status == dst
        (event,) = events(claim, "transaction.status_changed")
        assert event.before["status"] == src and event.after["status"] == dst
        assert event.actor_type == "SYSTEM"
    else:
        with pytest.raises(Conflict):
            services.transition(claim=claim, to_status=dst, actor=None, reason="because")
        assert Transaction.objects.get(pk=claim.pk).status == src
        assert not events(claim, "transaction.status_changed").exists()


def test_transition_with_stale_expected_status_is_conflict(make_claim):
    claim = make_claim(status=S.TO_REVIEW)
    with pytest.raises(Conflict) as exc:
        services.transition(claim=claim.pk, to_status=S.COMPLETED, actor=None, expected_status=S.IN_PROGRESS)
    assert exc.value.details["current_status"] == S.TO_REVIEW


def test_transition_unknown_claim_is_not_found():
    with pytest.raises(NotFound):
        services.transition(claim="00000000-0000-0000-0000-000000000000", to_status=S.COMPLETED, actor=None)


def test_decisions_require_permission_and_reason(make_claim, reconciler_user, client_user, auditor_user):
    claim = make_claim(status=S.TO_REVIEW)
    for user in (client_user, auditor_user):
        with pytest.raises(PermissionDenied):
            services.claim_approve(claim=claim, actor=user, reason="ok")
    with pytest.raises(ValidationFailed):
        services.claim_approve(claim=claim, actor=reconciler_user, reason="  ")
    with pytest.raises(ValidationFailed):
        services.claim_reject(claim=claim, actor=reconciler_user, reason="")
    assert not events(claim, "transaction.status_changed").exists()

    out = services.claim_approve(claim=claim, actor=reconciler_user, reason="Matched the statement")
    assert out.status == S.COMPLETED
    (event,) = events(claim, "transaction.status_changed")
    assert event.actor == reconciler_user and event.reason == "Matched the statement"
    # Deciding again is a conflict, not a silent overwrite.
    with pytest.raises(Conflict):
        services.claim_reject(claim=claim, actor=reconciler_user, reason="changed my mind")


def test_reject(make_claim, reconciler_user):
    claim = make_claim(status=S.TO_REVIEW)
    assert (
        services.claim_reject(claim=claim, actor=reconciler_user, reason="No such payment").status
        == S.CANCELED
    )


def test_reopen_needs_permission_and_reason(make_claim, reconciler_user, admin_user):
    claim = make_claim(status=S.COMPLETED)
    with pytest.raises(PermissionDenied):
        services.claim_reopen(claim=claim, actor=reconciler_user, reason="why")
    with pytest.raises(ValidationFailed):
        services.claim_reopen(claim=claim, actor=admin_user, reason="")
    assert services.claim_reopen(claim=claim, actor=admin_user, reason="Bank reversed").status == S.TO_REVIEW


def test_cancel_by_owner_admin_and_others(make_claim, client_user, make_user, admin_user, reconciler_user):
    mine = make_claim(status=S.UNKNOWN)
    assert services.claim_cancel(claim=mine, actor=client_user).status == S.CANCELED
    (event,) = events(mine, "transaction.status_changed")
    assert event.after["status"] == S.CANCELED

    other = make_claim()
    for user in (make_user("client"), reconciler_user):
        with pytest.raises(PermissionDenied):
            services.claim_cancel(claim=other, actor=user)
    assert services.claim_cancel(claim=other, actor=admin_user, reason="dup").status == S.CANCELED

    for status in (S.COMPLETED, S.CANCELED, S.TO_REVIEW):
        final = make_claim(status=status)
        with pytest.raises(Conflict):
            services.claim_cancel(claim=final, actor=client_user)


def test_human_forcing_verification_outcome_needs_decide_perm(make_claim, client_user, reconciler_user):
    claim = make_claim()
    with pytest.raises(PermissionDenied):
        services.transition(claim=claim, to_status=S.COMPLETED, actor=client_user, reason="trust me")
    out = services.transition(claim=claim, to_status=S.TO_REVIEW, actor=reconciler_user, reason="looks odd")
    assert out.status == S.TO_REVIEW


# --- record_verification --------------------------------------------------------------------


def test_record_verification_unchanged_status_writes_verified_event(make_claim):
    claim = make_claim()
    nxt = timezone.now() + timezone.timedelta(minutes=5)
    out = services.record_verification(
        claim_id=claim.pk,
        expected_status=S.IN_PROGRESS,
        to_status=S.IN_PROGRESS,
        reason="70001: not found yet",
        reason_code="",
        lookup=None,
        bank_amount=None,
        next_verification_at=nxt,
    )
    assert out.verification_attempts == 1 and out.last_verified_at is not None
    assert out.next_verification_at == nxt and out.status_reason == "70001: not found yet"
    assert events(claim, "transaction.verified").count() == 1
    assert not events(claim, "transaction.status_changed").exists()


def test_record_verification_changed_status_writes_one_status_event(make_claim):
    claim = make_claim()
    out = services.record_verification(
        claim_id=claim.pk,
        expected_status=S.IN_PROGRESS,
        to_status=S.COMPLETED,
        reason="matched",
        reason_code="",
        lookup=None,
        bank_amount=None,
        next_verification_at=None,
    )
    assert out.status == S.COMPLETED and out.verification_attempts == 1
    (event,) = events(claim, "transaction.status_changed")
    assert event.actor_type == "BANK" and event.after["status"] == S.COMPLETED
    assert not events(claim, "transaction.verified").exists()


def test_record_verification_conflict_when_status_moved(make_claim):
    claim = make_claim(status=S.CANCELED)
    with pytest.raises(Conflict):
        services.record_verification(
            claim_id=claim.pk,
            expected_status=S.IN_PROGRESS,
            to_status=S.COMPLETED,
            reason="matched",
            reason_code="",
            lookup=None,
            bank_amount=None,
            next_verification_at=None,
        )
    claim.refresh_from_db()
    assert claim.status == S.CANCELED and claim.verification_attempts == 0
