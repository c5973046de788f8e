"""Races on real PostgreSQL: threads with their own connections (transactional test DB)."""

import pytest

from audit.models import AuditEvent
from config.errors import Conflict
from tests.conftest import run_in_threads
from tests.transactions.conftest import flat_data
from transactions import services
from transactions.models import Status, Transaction

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("roles")]


def test_twenty_concurrent_identical_creates_make_one_row_and_one_event(client_user):
    data = flat_data()
    results, errors = run_in_threads(20, lambda i: services.create_claim(data=dict(data), actor=client_user))
    assert errors == [None] * 20
    assert sum(1 for _, created in results if created) == 1
    assert len({claim.pk for claim, _ in results}) == 1
    assert Transaction.objects.filter(transaction_id=data["transaction_id"]).count() == 1
    claim = Transaction.objects.get(transaction_id=data["transaction_id"])
    assert AuditEvent.objects.for_target(claim).filter(action="transaction.created").count() == 1


def test_concurrent_creates_with_different_payloads_one_wins_rest_conflict(client_user):
    data = flat_data()
    results, errors = run_in_threads(
        10, lambda i: services.create_claim(data=dict(data, amount=f"{100 + i}.00"), actor=client_user)
    )
    created = [r for r in results if r is not None]
    assert len(created) == 1 and created[0][1] is True
    assert all(isinstance(e, Conflict) for e in errors if e is not None)
    assert sum(1 for e in errors if e is not None) == 9
    assert Transaction.objects.count() == 1


def test_two_concurrent_decisions_one_wins_one_conflict_one_event(client_user, reconciler_user, make_user):
    claim, _ = services.create_claim(data=flat_data(), actor=client_user)
    Transaction.objects.filter(pk=claim.pk).update(status=Status.TO_REVIEW)
    other = make_user("reconciler")
    moves = [
        lambda: services.claim_approve(claim=claim.pk, actor=reconciler_user, reason="matched"),
        lambda: services.claim_reject(claim=claim.pk, actor=other, reason="not found"),
    ]
    results, errors = run_in_threads(2, lambda i: moves[i]())
    winners = [r for r in results if r is not None]
    losers = [e for e in errors if e is not None]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], Conflict)
    final = Transaction.objects.get(pk=claim.pk).status
    assert final == winners[0].status
    assert AuditEvent.objects.for_target(claim).filter(action="transaction.status_changed").count() == 1


def test_cancel_racing_bank_verification(client_user):
    claim, _ = services.create_claim(data=flat_data(), actor=client_user)
    moves = [
        lambda: services.claim_cancel(claim=claim.pk, actor=client_user),
        lambda: services.record_verification(
            claim_id=claim.pk,
            expected_status=Status.IN_PROGRESS,
            to_status=Status.COMPLETED,
            reason="matched",
            reason_code="",
            lookup=None,
            bank_amount=None,
            next_verification_at=None,
        ),
    ]
    results, errors = run_in_threads(2, lambda i: moves[i]())
    assert sum(r is not None for r in results) == 1
    assert all(isinstance(e, Conflict) for e in errors if e is not None)
    assert AuditEvent.objects.for_target(claim).filter(action="transaction.status_changed").count() == 1
