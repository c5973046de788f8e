"""Races on the real PostgreSQL: threads with their own connections, and a live HTTP server."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests
from rest_framework_simplejwt.tokens import RefreshToken

from audit.models import AuditEvent
from banking.client import BanescoClient
from banking.conf import BanescoConfig
from banking.sandbox.state import SandboxState
from config.errors import Conflict
from tests.conftest import run_in_threads
from transactions import services
from transactions import verification as banking
from transactions.models import Transaction

from .conftest import (
    assert_audit_chain_ok,
    claim_data,
    seeded_payment,
    status_matches_last_event,
)

pytestmark = pytest.mark.django_db(transaction=True)


def status_events(claim) -> list[dict]:
    return list(
        AuditEvent.objects.for_target(claim)
        .filter(action="transaction.status_changed")
        .order_by("sequence")
        .values("actor_type", "after")
    )


def test_fifty_reconcilers_on_one_to_review_claim(roles, make_claims, make_user):
    from accounts.roles import RECONCILER

    claim = make_claims(1)[0]
    Transaction.objects.filter(pk=claim.pk).update(status="TO_REVIEW")  # fixture state only
    reconcilers = [make_user(RECONCILER, is_staff=True) for _ in range(5)]

    def decide(i):
        action = services.claim_approve if i % 2 else services.claim_reject
        return action(claim=claim.pk, actor=reconcilers[i % 5], reason=f"decision {i}")

    results, errors = run_in_threads(50, decide)

    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert all(isinstance(e, Conflict) for e in errors if e is not None)
    assert sum(e is not None for e in errors) == 49
    claim.refresh_from_db()
    assert claim.status == winners[0].status
    events = status_events(claim)
    assert len(events) == 1 and events[0]["after"]["status"] == claim.status
    assert status_matches_last_event(claim)
    assert_audit_chain_ok()


def test_twenty_identical_creates_through_the_api_make_one_row(roles, live_server, make_user, settings):
    settings.CLAIM_CREATE_RATE = "1000/m"
    owner = make_user()
    token = str(RefreshToken.for_user(owner).access_token)
    body = claim_data(0, block=990000 + uuid.uuid4().int % 9999)
    body["payment_date"] = body["payment_date"].isoformat()
    body["customer"] = {
        "full_name": body.pop("customer_full_name"),
        "phone": body.pop("customer_phone"),
        "national_id": body.pop("customer_national_id"),
        "concept": body.pop("concept"),
    }
    url = f"{live_server.url}/api/v1/transactions/"

    def post(_i):
        return requests.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)

    results, errors = run_in_threads(20, post)

    assert errors == [None] * 20
    codes = sorted(r.status_code for r in results)
    assert codes == [200] * 19 + [201], [(r.status_code, r.text[:200]) for r in results]
    assert len({(r.json()["transaction_id"], r.json()["created_at"]) for r in results}) == 1
    assert Transaction.objects.filter(transaction_id=body["transaction_id"]).count() == 1
    claim = Transaction.objects.get(transaction_id=body["transaction_id"])
    assert AuditEvent.objects.for_target(claim).filter(action="transaction.created").count() == 1
    assert_audit_chain_ok()


def _client_with_state(state: SandboxState, **changes) -> BanescoClient:
    config = BanescoConfig(
        environment="sandbox",
        cache_prefix=f"race-{uuid.uuid4().hex[:8]}",
        lookups_per_second=100_000,
        claim_lookups_per_minute=1000,
        **changes,
    )
    return BanescoClient(config, sandbox_state=state, sleep=lambda s: None)


class RacingClient(BanescoClient):
    """While the sweep is talking to the bank (no lock held), someone else acts on the claim."""

    def __init__(self, *args, meanwhile, **kwargs):
        super().__init__(*args, **kwargs)
        self.meanwhile = meanwhile

    def lookup(self, query):
        errors = []

        def act():
            from django.db import connection

            try:
                self.meanwhile()
            except Exception as exc:
                errors.append(exc)
            finally:
                connection.close()

        t = threading.Thread(target=act)
        t.start()
        t.join(30)
        assert not errors, errors
        return super().lookup(query)


def test_sweep_loses_to_client_withdrawal_and_reports_conflict(roles, make_claims, client_user):
    claim = make_claims(1)[0]
    state = SandboxState(seed_demo=False)
    state.add_payment(**seeded_payment(claim))
    base = _client_with_state(state)
    client = RacingClient(
        base.config,
        sandbox_state=state,
        sleep=lambda s: None,
        meanwhile=lambda: services.claim_cancel(claim=claim.pk, actor=client_user, reason="paid twice"),
    )

    summary = banking.verify_due_claims(client=client)

    assert summary.checked == 1 and summary.skipped_reasons == {"conflict": 1}, summary
    claim.refresh_from_db()
    assert claim.status == "CANCELED"  # the bank's COMPLETED did not overwrite the withdrawal
    events = status_events(claim)
    assert [e["after"]["status"] for e in events] == ["CANCELED"]
    assert not AuditEvent.objects.for_target(claim).filter(action="transaction.verified").exists()
    assert status_matches_last_event(claim)
    assert_audit_chain_ok()


@pytest.mark.parametrize("rounds", [10])
def test_sweep_and_reconciler_reverify_race(roles, make_claims, make_user, rounds):
    """A reconciler forces a re-verification while the sweep verifies the same UNKNOWN claim."""
    from accounts.roles import RECONCILER

    reconciler = make_user(RECONCILER, is_staff=True)
    claims = make_claims(rounds)
    Transaction.objects.filter(pk__in=[c.pk for c in claims]).update(status="UNKNOWN")
    state = SandboxState(seed_demo=False)
    for c in claims:
        state.add_payment(**seeded_payment(c))
    state.latency_ms = 20  # both are with the bank at the same time
    client = _client_with_state(state)

    for claim in claims:

        def go(i, claim=claim):
            if i == 0:
                return banking.verify_due_claims(client=client, limit=1)
            return banking.verify_claim(claim_id=claim.pk, actor=reconciler, force=True, client=client)

        results, errors = run_in_threads(2, go)
        assert errors == [None, None], errors
        sweep, forced = results
        claim.refresh_from_db()
        assert claim.status == "COMPLETED"
        events = status_events(claim)
        assert len(events) == 1, events  # exactly one transition, by the bank
        # the loser is reported: a conflict (or it saw the claim already decided)
        loser_reports = [forced.skipped] if forced.result == "skipped" else []
        if sweep.skipped or sweep.checked == 0:
            loser_reports += list(sweep.skipped_reasons) or ["not_due"]
        assert len(loser_reports) == 1, (sweep, forced)
        assert loser_reports[0] in {"conflict", "not_verifiable", "not_due"}
        assert status_matches_last_event(claim)
    assert_audit_chain_ok()
