"""transactions.deletion.claim_soft_delete / claims_soft_delete: what a deleted claim means."""

import pytest

from accounts.roles import MANAGER
from audit.models import AuditEvent
from config.errors import Conflict, NotFound, PermissionDenied
from tests.conftest import run_in_threads
from tests.transactions.conftest import flat_data
from transactions import dashboard, deletion, selectors, services, verification
from transactions.models import Transaction

# Seeded in the in-process sandbox with 99.99: verification sends the claim to TO_REVIEW.
AMOUNT_MISMATCH = {
    "reference": "011122233344",
    "customer_phone": "04241112233",
    "payer_bank_code": "0105",
    "amount": "100.00",
}


@pytest.fixture
def manager(make_user):
    return make_user(MANAGER)


def _to_review(actor):
    claim, _ = services.create_claim(data=flat_data(**AMOUNT_MISMATCH), actor=actor)
    verification.verify_claim(claim_id=claim.pk)
    claim.refresh_from_db()
    assert claim.status == "TO_REVIEW"
    return claim


@pytest.mark.django_db
def test_a_deleted_claim_leaves_the_queue_the_sweep_and_the_reads(client_user, manager):
    queued = _to_review(client_user)
    due, _ = services.create_claim(data=flat_data(), actor=client_user)
    assert dashboard._queue().filter(pk=queued.pk).exists()
    assert selectors.claims_due_for_verification().filter(pk=due.pk).exists()

    deletion.claims_soft_delete(claim_ids=[queued.pk, due.pk], actor=manager)

    assert not dashboard._queue().filter(pk=queued.pk).exists()  # out of the reconcilers' queue
    assert not selectors.claims_due_for_verification().filter(pk=due.pk).exists()  # no sweep
    assert not selectors.claim_list(user=manager).filter(pk__in=[queued.pk, due.pk]).exists()
    with pytest.raises(NotFound):
        verification.verify_claim(claim_id=due.pk, actor=manager, force=True)
    with pytest.raises(NotFound):
        services.claim_approve(claim=queued, actor=manager, reason="x")
    queued.refresh_from_db()
    assert queued.status == "TO_REVIEW" and queued.deleted_at is not None  # the row and status stay
    event = AuditEvent.objects.get(action="transaction.deleted", target_id=str(queued.pk))
    assert event.actor_id == manager.pk and event.metadata == {"status": "TO_REVIEW"}
    assert event.before == {"deleted_at": None} and event.after["deleted_at"]
    # its reference may be claimed again
    again, created = services.create_claim(data=flat_data(**AMOUNT_MISMATCH), actor=client_user)
    assert created and again.pk != queued.pk


@pytest.mark.django_db
def test_only_holders_of_the_delete_permission_may_delete(client_user, reconciler_user):
    claim, _ = services.create_claim(data=flat_data(), actor=client_user)
    for actor in (client_user, reconciler_user, None):
        with pytest.raises(PermissionDenied):
            deletion.claim_soft_delete(claim_id=claim.pk, actor=actor)
    assert Transaction.objects.get(pk=claim.pk).deleted_at is None


@pytest.mark.django_db
def test_visible_to_limits_what_can_be_deleted(client_user, make_user, manager):
    claim, _ = services.create_claim(data=flat_data(), actor=client_user)
    nobody = Transaction.objects.none()
    with pytest.raises(NotFound):
        deletion.claim_soft_delete(claim_id=claim.pk, actor=manager, visible_to=nobody)
    with pytest.raises(NotFound):
        deletion.claim_soft_delete(claim_id="not-a-uuid", actor=manager)
    assert Transaction.objects.get(pk=claim.pk).deleted_at is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("roles")
def test_delete_racing_an_approval_never_deletes_a_completed_claim(client_user, reconciler_user, manager):
    claim = _to_review(client_user)

    def act(i):
        if i == 0:
            return services.claim_approve(claim=claim.pk, actor=reconciler_user, reason="bank statement ok")
        return deletion.claim_soft_delete(claim_id=claim.pk, actor=manager)

    _results, errors = run_in_threads(2, act)
    claim.refresh_from_db()
    if claim.deleted_at is None:  # the approval won; the delete saw a COMPLETED claim
        assert claim.status == "COMPLETED" and isinstance(errors[1], Conflict) and errors[0] is None
    else:  # the delete won; the approval found no live claim
        assert claim.status == "TO_REVIEW" and isinstance(errors[0], NotFound) and errors[1] is None
    deleted_events = AuditEvent.objects.filter(action="transaction.deleted", target_id=str(claim.pk)).count()
    assert deleted_events == (0 if claim.deleted_at is None else 1)
