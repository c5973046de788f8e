"""The reconciler workbench's services (transactions.workbench): search the bank from a claim,
approve with a found row, assignment, notes. Bank answers come from the in-process sandbox."""

import datetime as dt
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest

from audit.actions import TRANSACTION_ASSIGNED, TRANSACTION_COMMENTED, TRANSACTION_RELEASED
from audit.models import AppendOnlyError, AuditEvent
from banking.client import BanescoClient
from banking.conf import BanescoConfig
from banking.models import BankLookup
from banking.sandbox.state import SandboxState
from config.errors import Conflict, PermissionDenied, RateLimited, ValidationFailed
from transactions import services
from transactions.models import Status, Transaction
from transactions.workbench import approve, assignment, notes, search
from transactions.workbench import selectors as wb_selectors

pytestmark = pytest.mark.django_db

PAY_DAY = dt.date(2025, 3, 10)
RIGHT_PHONE = "04241112233"


@pytest.fixture
def bank():
    state = SandboxState(flavour="qa", seed_demo=False)
    config = BanescoConfig(environment="sandbox", cache_prefix=f"t-{uuid.uuid4().hex[:8]}")
    return SimpleNamespace(
        state=state, client=BanescoClient(config, sandbox_state=state, sleep=lambda s: None)
    )


@pytest.fixture
def claim_to_review(make_user):
    owner = make_user("client")
    counter = iter(range(1, 10_000))

    def _make(**extra):
        n = next(counter)
        fields = {
            "transaction_id": f"wb-{uuid.uuid4().hex[:10]}",
            "status": Status.TO_REVIEW,
            "status_reason": "Not found within the window.",
            "status_reason_code": "NOT_FOUND_WINDOW",
            "bank": "MOBILE_TRANSFER",
            "reference": f"{881100000000 + n * 1013}",
            "amount": Decimal("150.25"),
            "payment_date": PAY_DAY,
            "payer_bank_code": "0105",
            "customer_full_name": "Ana Pérez",
            "customer_phone": "04141234567",  # mistyped: the bank has RIGHT_PHONE
            "customer_national_id": "V12345678",
            "created_by": owner,
        }
        fields.update(extra)
        return Transaction.objects.create(**fields)

    return _make


def _pay(bank, claim, **extra):
    payment = {
        "reference": claim.reference,
        "amount": "150.25",
        "trn_date": PAY_DAY,
        "phone": "58" + RIGHT_PHONE[1:],
        "source_bank_id": "0105",
    }
    payment.update(extra)
    return bank.state.add_payment(**payment)


def _params(claim, **extra):
    values = dict(search.initial_params(claim))
    values.update(extra)
    return search.SearchParams(**values)


# --- search -----------------------------------------------------------------------------------------


def test_search_with_corrected_phone_finds_the_row_and_logs_the_lookup(
    bank, claim_to_review, reconciler_user
):
    claim = claim_to_review()
    _pay(bank, claim)
    wrong = search.claim_search_bank(
        claim=claim, actor=reconciler_user, params=_params(claim), client=bank.client
    )
    assert wb_selectors.found_rows(claim, wb_selectors.search_lookups(claim, wrong.lookup_ids)) == []
    outcome = search.claim_search_bank(
        claim=claim, actor=reconciler_user, params=_params(claim, phone=RIGHT_PHONE), client=bank.client
    )
    lookup = BankLookup.objects.get(pk=outcome.lookup_ids[0])
    assert lookup.claim_id == claim.pk and lookup.requested_by == reconciler_user
    assert lookup.outcome == "found" and lookup.mode == "mobile"
    assert bank.state.requests()[-1]["phoneNum"] == "58" + RIGHT_PHONE[1:]
    rows = wb_selectors.found_rows(claim, [lookup])
    assert len(rows) == 1 and rows[0].verdict == "" and rows[0].choosable
    same = {c.key: c.same for c in rows[0].comparisons}
    assert same["amount"] and same["reference"] and same["date"] and same["payer_bank"]
    claim.refresh_from_db()
    assert claim.status == Status.TO_REVIEW  # searching never changes the claim


def test_search_shows_what_differs(bank, claim_to_review, reconciler_user):
    claim = claim_to_review()
    _pay(bank, claim, amount="150.00", trn_date=PAY_DAY + dt.timedelta(days=1))
    outcome = search.claim_search_bank(
        claim=claim, actor=reconciler_user, params=_params(claim, phone=RIGHT_PHONE), client=bank.client
    )
    (row,) = wb_selectors.found_rows(claim, wb_selectors.search_lookups(claim, outcome.lookup_ids))
    same = {c.key: c.same for c in row.comparisons}
    assert row.verdict == "AMOUNT_MISMATCH"
    assert same["amount"] is False and same["date"] is False and same["reference"] is True


def test_search_counts_in_the_same_per_claim_limit_as_verification(bank, claim_to_review, reconciler_user):
    from transactions import verification

    claim = claim_to_review(status=Status.IN_PROGRESS, status_reason_code="")
    verification.verify_claim(claim_id=claim.pk, client=bank.client, force=True)  # takes 1 of 2
    Transaction.objects.filter(pk=claim.pk).update(status=Status.TO_REVIEW)
    search.claim_search_bank(claim=claim, actor=reconciler_user, params=_params(claim), client=bank.client)
    asked = bank.state.lookup_requests
    with pytest.raises(RateLimited) as exc:
        search.claim_search_bank(
            claim=claim, actor=reconciler_user, params=_params(claim), client=bank.client
        )
    assert exc.value.code == search.LIMIT_REACHED
    assert "límite" in exc.value.message.lower() and exc.value.retry_after > 0  # Spanish first
    assert bank.state.lookup_requests == asked  # refused before any call
    assert BankLookup.objects.filter(claim_id=claim.pk, requested_by=reconciler_user).count() == 1


def test_a_range_is_looked_up_day_by_day_and_refused_up_front_when_over_what_is_left(
    bank, claim_to_review, reconciler_user
):
    claim = claim_to_review()
    _pay(bank, claim)
    three_days = _params(claim, phone=RIGHT_PHONE, date_to=PAY_DAY + dt.timedelta(days=2))
    with pytest.raises(RateLimited):  # 3 look-ups needed, the limit leaves 2
        search.claim_search_bank(claim=claim, actor=reconciler_user, params=three_days, client=bank.client)
    assert bank.state.lookup_requests == 0
    two_days = _params(claim, phone=RIGHT_PHONE, date_from=PAY_DAY - dt.timedelta(days=1), date_to=PAY_DAY)
    outcome = search.claim_search_bank(
        claim=claim, actor=reconciler_user, params=two_days, client=bank.client
    )
    assert len(outcome.lookup_ids) == 2
    assert [r["startDt"] for r in bank.state.requests()] == [
        (PAY_DAY - dt.timedelta(days=1)).isoformat(),
        PAY_DAY.isoformat(),
    ]
    rows = wb_selectors.found_rows(claim, wb_selectors.search_lookups(claim, outcome.lookup_ids))
    assert len(rows) == 1  # the same payment answered on both days is listed once


def test_a_range_wider_than_the_setting_is_refused(bank, claim_to_review, reconciler_user, settings):
    settings.WORKBENCH_SEARCH_MAX_DAYS = 3
    claim = claim_to_review()
    params = _params(claim, date_to=PAY_DAY + dt.timedelta(days=3))
    with pytest.raises(ValidationFailed):
        search.claim_search_bank(claim=claim, actor=reconciler_user, params=params, client=bank.client)


def test_search_needs_the_decide_permission(bank, claim_to_review, auditor_user):
    claim = claim_to_review()
    with pytest.raises(PermissionDenied):
        search.claim_search_bank(claim=claim, actor=auditor_user, params=_params(claim), client=bank.client)


# --- approve with this row --------------------------------------------------------------------------


def _found(bank, claim, actor, **params):
    outcome = search.claim_search_bank(
        claim=claim, actor=actor, params=_params(claim, **params), client=bank.client
    )
    return outcome, wb_selectors.found_rows(claim, wb_selectors.search_lookups(claim, outcome.lookup_ids))


def test_approve_with_row_completes_the_claim_with_the_row_in_one_audit_event(
    bank, claim_to_review, reconciler_user
):
    claim = claim_to_review()
    _pay(bank, claim)
    outcome, (row,) = _found(bank, claim, reconciler_user, phone=RIGHT_PHONE)
    before = AuditEvent.objects.for_target(claim).count()
    updated = approve.claim_approve_with_row(
        claim=claim,
        actor=reconciler_user,
        lookup_id=row.lookup.pk,
        row_index=row.index,
        reason="Customer mistyped the phone; bank row matches",
        search_lookup_ids=outcome.lookup_ids,
    )
    assert updated.status == Status.COMPLETED
    assert updated.decided_lookup_id == row.lookup.pk and updated.bank_amount == Decimal("150.25")
    assert updated.banesco_payload == row.lookup.body
    events = list(AuditEvent.objects.for_target(claim).order_by("sequence"))
    assert len(events) == before + 1
    event = events[-1]
    assert event.action == "transaction.status_changed" and event.actor == reconciler_user
    assert event.reason == "Customer mistyped the phone; bank row matches"
    assert event.metadata["approved_with_row"]["reference_number"] == claim.reference
    assert event.metadata["approved_with_row"]["amount"] == "150.25"
    assert event.metadata["lookup_id"] == row.lookup.pk
    assert event.metadata["search"]["phone"] == "58424***2233"
    assert event.metadata["search_lookup_ids"] == outcome.lookup_ids


def test_approve_with_row_requires_a_reason(bank, claim_to_review, reconciler_user):
    claim = claim_to_review()
    _pay(bank, claim)
    _, (row,) = _found(bank, claim, reconciler_user, phone=RIGHT_PHONE)
    with pytest.raises(ValidationFailed):
        approve.claim_approve_with_row(
            claim=claim, actor=reconciler_user, lookup_id=row.lookup.pk, row_index=0, reason="  "
        )


def test_a_row_used_by_another_completed_claim_is_refused_by_the_service(
    bank, claim_to_review, reconciler_user, make_user
):
    first = claim_to_review()
    _pay(bank, first)
    _, (row,) = _found(bank, first, reconciler_user, phone=RIGHT_PHONE)
    approve.claim_approve_with_row(
        claim=first, actor=reconciler_user, lookup_id=row.lookup.pk, row_index=row.index, reason="ok"
    )
    # A second claim, same payer, whose reference ends with the same 6 digits (mistyped head).
    second = claim_to_review(reference="77" + first.reference[2:], customer_phone=first.customer_phone)
    _, (again,) = _found(bank, second, make_user("reconciler"), phone=RIGHT_PHONE)
    assert again.used_by == first and not again.choosable
    with pytest.raises(Conflict) as exc:
        approve.claim_approve_with_row(
            claim=second, actor=reconciler_user, lookup_id=again.lookup.pk, row_index=again.index, reason="x"
        )
    assert exc.value.code == "reference_used"
    second.refresh_from_db()
    assert second.status == Status.TO_REVIEW


def test_a_lookup_of_another_claim_cannot_be_used(bank, claim_to_review, reconciler_user):
    claim, other = claim_to_review(), claim_to_review()
    _pay(bank, other)
    _, (row,) = _found(bank, other, reconciler_user, phone=RIGHT_PHONE)
    from config.errors import NotFound

    with pytest.raises(NotFound):
        approve.claim_approve_with_row(
            claim=claim, actor=reconciler_user, lookup_id=row.lookup.pk, row_index=0, reason="x"
        )


# --- assignment -------------------------------------------------------------------------------------


def test_take_shows_the_assignee_with_an_expiry_and_is_audited(claim_to_review, reconciler_user, settings):
    settings.WORKBENCH_ASSIGNMENT_MINUTES = 30
    claim = claim_to_review()
    taken = assignment.claim_take(claim=claim, actor=reconciler_user)
    assert taken.assigned_to == reconciler_user
    left = taken.assigned_until - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=29) < left <= dt.timedelta(minutes=30)
    event = AuditEvent.objects.for_target(claim).get(action=TRANSACTION_ASSIGNED)
    assert event.after["assigned_to"] == str(reconciler_user)
    assignment.claim_release(claim=claim, actor=reconciler_user)
    claim.refresh_from_db()
    assert claim.assigned_to is None
    assert AuditEvent.objects.for_target(claim).filter(action=TRANSACTION_RELEASED).count() == 1


def test_renew_pushes_the_expiry_of_ones_own_assignment_only(claim_to_review, reconciler_user, make_user):
    claim = claim_to_review()
    assignment.claim_take(claim=claim, actor=reconciler_user)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    Transaction.objects.filter(pk=claim.pk).update(assigned_until=soon)
    assert not assignment.claim_renew(claim=claim, actor=make_user("reconciler"))
    assert assignment.claim_renew(claim=claim, actor=reconciler_user)
    claim.refresh_from_db()
    assert claim.assigned_until > soon + dt.timedelta(minutes=20)


def test_someone_elses_claim_needs_confirmation_to_decide_or_take_until_it_expires(
    claim_to_review, reconciler_user, make_user
):
    other = make_user("reconciler", is_staff=True)
    claim = claim_to_review()
    assignment.claim_take(claim=claim, actor=other)
    with pytest.raises(Conflict) as exc:
        services.claim_approve(claim=claim.pk, actor=reconciler_user, reason="ok")
    assert exc.value.code == assignment.ASSIGNED_TO_OTHER
    with pytest.raises(Conflict):
        assignment.claim_take(claim=claim, actor=reconciler_user)
    with pytest.raises(Conflict):
        assignment.claim_release(claim=claim, actor=reconciler_user)
    assert Transaction.objects.get(pk=claim.pk).status == Status.TO_REVIEW
    # Expired: free for anyone, no confirmation needed.
    Transaction.objects.filter(pk=claim.pk).update(
        assigned_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    )
    assignment.claim_take(claim=claim, actor=reconciler_user)
    claim.refresh_from_db()
    assert claim.assigned_to == reconciler_user
    # Held again by `other` (takeover confirmed): approving with confirmation goes through.
    assignment.claim_take(claim=claim, actor=other, confirm_takeover=True)
    last = AuditEvent.objects.for_target(claim).filter(action=TRANSACTION_ASSIGNED).order_by("-sequence")[0]
    assert last.metadata["takeover"] is True
    done = services.claim_reject(
        claim=claim.pk, actor=reconciler_user, reason="no payment", confirm_takeover=True
    )
    assert done.status == Status.CANCELED


@pytest.mark.parametrize("decide", ["claim_approve", "claim_reject"])
def test_a_decision_ends_the_hold_in_its_own_audit_event(claim_to_review, reconciler_user, decide):
    claim = claim_to_review()
    assignment.claim_take(claim=claim, actor=reconciler_user)
    getattr(services, decide)(claim=claim.pk, actor=reconciler_user, reason="checked with the bank")
    claim.refresh_from_db()
    assert claim.assigned_to is None and claim.assigned_until is None
    event = AuditEvent.objects.for_target(claim).get(action="transaction.status_changed")
    assert event.before["assigned_to"] == str(reconciler_user.pk) and event.after["assigned_to"] is None
    assert not AuditEvent.objects.for_target(claim).filter(action=TRANSACTION_RELEASED).exists()


def test_approve_with_row_on_someone_elses_claim_needs_confirmation(
    bank, claim_to_review, reconciler_user, make_user
):
    claim = claim_to_review()
    _pay(bank, claim)
    _, (row,) = _found(bank, claim, reconciler_user, phone=RIGHT_PHONE)
    assignment.claim_take(claim=claim, actor=make_user("reconciler"))
    kwargs = {"claim": claim, "actor": reconciler_user, "lookup_id": row.lookup.pk, "row_index": row.index}
    kwargs["reason"] = "ok"
    with pytest.raises(Conflict):
        approve.claim_approve_with_row(**kwargs)
    assert approve.claim_approve_with_row(**kwargs, confirm_takeover=True).status == Status.COMPLETED


def test_next_claim_takes_the_oldest_unassigned_or_expired(claim_to_review, reconciler_user, make_user):
    now = dt.datetime.now(dt.UTC)
    oldest = claim_to_review(created_at=now - dt.timedelta(days=3))
    expired = claim_to_review(created_at=now - dt.timedelta(days=2))
    claim_to_review(created_at=now - dt.timedelta(days=1))
    claim_to_review(status=Status.COMPLETED, created_at=now - dt.timedelta(days=9))
    other = make_user("reconciler")
    assignment.claim_take(claim=oldest, actor=other)
    assignment.claim_take(claim=expired, actor=other)
    Transaction.objects.filter(pk=expired.pk).update(assigned_until=now - dt.timedelta(minutes=1))
    got = assignment.next_claim(actor=reconciler_user)
    assert got.pk == expired.pk and got.assigned_to == reconciler_user


# --- notes ------------------------------------------------------------------------------------------


def test_a_note_is_audited_and_cannot_be_changed(claim_to_review, reconciler_user, auditor_user):
    claim = claim_to_review()
    event = notes.claim_add_note(claim=claim, actor=reconciler_user, text="Called the customer: phone 0424…")
    assert event.action == TRANSACTION_COMMENTED and event.actor == reconciler_user
    assert event.reason == "Called the customer: phone 0424…"
    assert AuditEvent.objects.for_target(claim).filter(action=TRANSACTION_COMMENTED).count() == 1
    event.reason = "edited"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="edited")
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == "Called the customer: phone 0424…"
    with pytest.raises(ValidationFailed):
        notes.claim_add_note(claim=claim, actor=reconciler_user, text="   ")
    with pytest.raises(PermissionDenied):
        notes.claim_add_note(claim=claim, actor=auditor_user, text="not allowed")
