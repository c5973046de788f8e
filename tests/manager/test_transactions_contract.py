"""/transactions… as the manager UI calls them (use-transactions.ts, use-transaction.ts,
transactions.client.ts): list, detail, refresh, delete, bulk-delete."""

import datetime as dt
import uuid

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from banking.models import BankLookup
from config.clock import CARACAS, caracas_today
from tests.manager.conftest import STATUS_FILTERS
from tests.transactions.test_worker import WorkerThread
from transactions import services, verification
from transactions.models import Transaction

pytestmark = pytest.mark.django_db

# src/types/transactions.ts: Transaction
TRANSACTION_KEYS = {
    "id",
    "reference",
    "status",
    "customer_full_name",
    "customer_phone",
    "customer_document",
    "type",
    "bank",
    "amount",
    "concept",
    "details",
    "created_at",
    "updated_at",
}
DETAILS_KEYS = {  # TransactionDetails, camelCase as the bank sends it
    "referenceNumber",
    "amount",
    "currencyCode",
    "accountId",
    "trnDate",
    "trnTime",
    "sourceBankId",
    "destBankId",
    "concept",
    "customerIdBen",
    "trnType",
}
# The in-process sandbox's seeded pago móvil (banking/sandbox/state.py demo_payments).
DEMO_PAGO_MOVIL = {
    "reference": "012345678901",
    "customer_phone": "04141234567",
    "payer_bank_code": "0102",
    "amount": "150.00",
}
# Seeded with a different amount (99.99): TO_REVIEW.
DEMO_AMOUNT_MISMATCH = {
    "reference": "011122233344",
    "customer_phone": "04241112233",
    "payer_bank_code": "0105",
    "amount": "100.00",
}


@pytest.fixture
def verified(make_claim):
    """A claim verified by the real verification against the in-process sandbox."""

    def _verified(**fields):
        claim = make_claim(**fields)
        verification.verify_claim(claim_id=claim.pk)
        claim.refresh_from_db()
        return claim

    return _verified


def _created_at(claim, when: dt.datetime) -> None:
    """Move a claim's creation time (the clock, not the data)."""
    Transaction.objects.filter(pk=claim.pk).update(created_at=when)


# --- list -------------------------------------------------------------------------------------


def test_list_first_page_shape(logged_in, manager_user, make_claim):
    claims = [make_claim() for _ in range(12)]
    ui = logged_in(manager_user)
    response = ui.get(ui.list_path())  # /transactions?offset=0&limit=10
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"items", "total", "offset", "limit"}
    assert (body["total"], body["offset"], body["limit"]) == (12, 0, 10)
    assert len(body["items"]) == 10
    item = body["items"][0]
    assert set(item) == TRANSACTION_KEYS
    newest = claims[-1]
    assert item["id"] == str(newest.pk)
    assert item["reference"] == newest.reference
    assert item["status"] == "IN_PROGRESS"
    assert item["type"] == "MOBILE_PAYMENT"
    assert item["bank"] == newest.payer_bank_code
    assert item["amount"] == "100.00"
    assert item["customer_document"] == "V12345678"
    assert item["customer_phone"] == "04141234567"
    assert item["details"] is None


def test_list_second_page(logged_in, manager_user, make_claim):
    claims = [make_claim() for _ in range(12)]
    ui = logged_in(manager_user)
    body = ui.get(ui.list_path(page=2)).json()  # offset=10&limit=10
    assert (body["offset"], body["limit"], body["total"]) == (10, 10, 12)
    assert [i["id"] for i in body["items"]] == [str(c.pk) for c in claims[:2][::-1]]


def test_list_pending_filter_sends_three_statuses(logged_in, manager_user, make_claim, verified, client_user):
    in_progress = make_claim()
    to_review = verified(**DEMO_AMOUNT_MISMATCH)
    completed = verified(**DEMO_PAGO_MOVIL)
    canceled = services.claim_cancel(claim=make_claim(), actor=client_user)
    assert (to_review.status, completed.status, canceled.status) == ("TO_REVIEW", "COMPLETED", "CANCELED")
    ui = logged_in(manager_user)

    path = ui.list_path(statuses=STATUS_FILTERS["pending"])
    assert path.endswith("status=IN_PROGRESS&status=TO_REVIEW&status=UNKNOWN")
    ids = {i["id"] for i in ui.get(path).json()["items"]}
    assert ids == {str(in_progress.pk), str(to_review.pk)}

    verified_ids = {
        i["id"] for i in ui.get(ui.list_path(statuses=STATUS_FILTERS["verified"])).json()["items"]
    }
    assert verified_ids == {str(completed.pk)}
    rejected = ui.get(ui.list_path(statuses=STATUS_FILTERS["rejected"])).json()["items"]
    assert [i["id"] for i in rejected] == [str(canceled.pk)]


def test_list_date_range_is_inclusive_in_caracas(logged_in, manager_user, make_claim):
    day = caracas_today() - dt.timedelta(days=10)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=CARACAS)
    before, first, last, after = (make_claim() for _ in range(4))
    _created_at(before, start - dt.timedelta(microseconds=1))
    _created_at(first, start)
    _created_at(last, start + dt.timedelta(days=2) - dt.timedelta(microseconds=1))
    _created_at(after, start + dt.timedelta(days=2))
    ui = logged_in(manager_user)
    path = ui.list_path(from_date=day.isoformat(), to_date=(day + dt.timedelta(days=1)).isoformat())
    ids = {i["id"] for i in ui.get(path).json()["items"]}
    assert ids == {str(first.pk), str(last.pk)}
    single_day = ui.get(ui.list_path(from_date=day.isoformat(), to_date=day.isoformat())).json()
    assert [i["id"] for i in single_day["items"]] == [str(first.pk)]


def test_list_search_by_reference_prefix_and_name(logged_in, manager_user, make_claim):
    ana = make_claim(reference="555000111222", customer_full_name="Ana Gómez")
    luis = make_claim(reference="555000999888", customer_full_name="Luis Pérez")
    ui = logged_in(manager_user)
    assert {i["id"] for i in ui.get(ui.list_path(search="555000")).json()["items"]} == {
        str(ana.pk),
        str(luis.pk),
    }
    assert [i["id"] for i in ui.get(ui.list_path(search=" pérez ")).json()["items"]] == [str(luis.pk)]


def test_list_bad_filter_value_is_422_with_a_message(logged_in, manager_user):
    ui = logged_in(manager_user)
    response = ui.get(ui.list_path(statuses=["PAID"]))
    assert response.status_code == 422
    assert "status" in response.json()["error"]["details"]["fields"] and response.json()["message"]


def test_list_shows_clients_only_their_own_claims(logged_in, make_user, make_claim, client_user):
    mine = make_claim()
    make_claim(owner=make_user("client"))
    ui = logged_in(client_user)
    body = ui.get(ui.list_path()).json()
    assert [i["id"] for i in body["items"]] == [str(mine.pk)] and body["total"] == 1


def test_list_requires_a_token(ui):
    response = ui.get(ui.list_path())
    assert response.status_code == 401 and response.json()["message"]


# --- detail -----------------------------------------------------------------------------------


def test_detail_of_a_verified_claim_carries_the_banks_row(logged_in, manager_user, verified):
    claim = verified(**DEMO_PAGO_MOVIL)
    assert claim.status == "COMPLETED"
    ui = logged_in(manager_user)
    response = ui.get(f"/transactions/{claim.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == TRANSACTION_KEYS
    assert body["status"] == "COMPLETED" and body["amount"] == "150.00"
    details = body["details"]
    assert set(details) == DETAILS_KEYS
    assert details["referenceNumber"] == "012345678901"
    assert details["amount"] == "150.00"
    assert details["trnType"] == "CR"
    assert details["sourceBankId"] == "0102"
    assert details["trnDate"] == caracas_today().isoformat()
    assert details["currencyCode"].strip() in {"BS", "VES"}


def test_detail_of_an_amount_mismatch_shows_the_banks_amount(logged_in, manager_user, verified):
    claim = verified(**DEMO_AMOUNT_MISMATCH)
    body = logged_in(manager_user).get(f"/transactions/{claim.pk}").json()
    assert body["status"] == "TO_REVIEW"
    assert (body["amount"], body["details"]["amount"]) == ("100.00", "99.99")


def test_detail_404s(logged_in, make_user, make_claim, client_user, manager_user):
    others = make_claim(owner=make_user("client"))
    ui = logged_in(client_user)
    response = ui.get(f"/transactions/{others.pk}")  # another user's claim
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found" and response.json()["message"]
    assert ui.get(f"/transactions/{uuid.uuid4()}").status_code == 404
    assert ui.get("/transactions/not-a-uuid").status_code == 404

    mine = make_claim()
    manager = logged_in(manager_user)
    assert manager.delete(f"/transactions/{mine.pk}").status_code == 204
    assert ui.get(f"/transactions/{mine.pk}").status_code == 404  # deleted
    assert manager.get(f"/transactions/{mine.pk}").status_code == 404


# --- refresh (re-verify now) ------------------------------------------------------------------


def test_refresh_queues_a_look_up_that_the_worker_does(logged_in, manager_user, make_claim):
    claim = make_claim(**DEMO_PAGO_MOVIL)
    Transaction.objects.filter(pk=claim.pk).update(next_verification_at=claim.created_at.replace(year=2100))
    ui = logged_in(manager_user)
    response = ui.post(f"/transactions/{claim.pk}/refresh")  # axios.post(url): no body
    assert response.status_code == 202, response.content  # no worker ran: the look-up is queued
    assert response.json()["status"] == "IN_PROGRESS"
    assert BankLookup.objects.count() == 0  # the request itself asked the bank nothing
    claim.refresh_from_db()
    assert claim.next_verification_at.year < 2100 and claim.verification_attempts == 0  # due now

    call_command("verification_worker", "--once")
    claim.refresh_from_db()
    assert claim.verification_attempts == 1
    body = ui.get(f"/transactions/{claim.pk}").json()  # what the UI re-fetches after the call
    assert body["status"] == "COMPLETED"
    assert body["details"]["referenceNumber"] == "012345678901"


@pytest.mark.django_db(transaction=True)
def test_refresh_waits_for_the_workers_outcome(logged_in, manager_user, make_claim, settings):
    settings.MANAGER_REFRESH_WAIT_SECONDS = 8
    claim = make_claim(**DEMO_PAGO_MOVIL)
    Transaction.objects.filter(pk=claim.pk).update(next_verification_at=claim.created_at.replace(year=2100))
    ui = logged_in(manager_user)
    with WorkerThread(poll_interval=30):  # nothing due at its start; the refresh's NOTIFY wakes it
        response = ui.post(f"/transactions/{claim.pk}/refresh")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "COMPLETED"
    assert body["details"]["referenceNumber"] == "012345678901"
    assert BankLookup.objects.filter(claim_id=claim.pk).count() == 1


def test_refresh_rate_limit_is_429_with_retry_after(logged_in, manager_user, make_claim):
    claim = make_claim()  # not in the sandbox: stays IN_PROGRESS (not found, re-checked later)
    ui = logged_in(manager_user)
    for _ in range(2):  # BANESCO_CLAIM_LOOKUPS_PER_MINUTE (2)
        assert ui.post(f"/transactions/{claim.pk}/refresh").status_code == 202
        call_command("verification_worker", "--once")
    response = ui.post(f"/transactions/{claim.pk}/refresh")
    assert response.status_code == 429, response.content
    assert response.json()["error"]["code"] == "rate_limited" and response.json()["message"]
    assert 1 <= int(response["Retry-After"]) <= 60
    call_command("verification_worker", "--once")
    assert Transaction.objects.get(pk=claim.pk).verification_attempts == 2


def test_refresh_of_a_decided_claim_answers_it_as_it_is(logged_in, manager_user, verified):
    claim = verified(**DEMO_PAGO_MOVIL)
    response = logged_in(manager_user).post(f"/transactions/{claim.pk}/refresh")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "COMPLETED"
    assert BankLookup.objects.filter(claim_id=claim.pk).count() == 1  # the verification's, no other


def test_refresh_needs_the_reverify_permission(logged_in, auditor_user, make_claim):
    claim = make_claim(**DEMO_PAGO_MOVIL)
    response = logged_in(auditor_user).post(f"/transactions/{claim.pk}/refresh")  # auditors only read
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.verification_attempts == 0


# --- delete / bulk-delete ---------------------------------------------------------------------


def test_delete_soft_deletes_and_audits_the_actor(logged_in, manager_user, make_claim):
    claim = make_claim()
    ui = logged_in(manager_user)
    response = ui.delete(f"/transactions/{claim.pk}")
    assert response.status_code == 204, response.content
    claim.refresh_from_db()
    assert claim.deleted_at is not None and claim.status == "IN_PROGRESS"  # row kept
    event = AuditEvent.objects.get(action="transaction.deleted", target_id=str(claim.pk))
    assert event.actor_id == manager_user.pk
    assert event.metadata == {"status": "IN_PROGRESS"}
    assert ui.get(ui.list_path()).json()["total"] == 0
    assert ui.delete(f"/transactions/{claim.pk}").status_code == 404  # already deleted


def test_delete_of_a_completed_claim_is_refused(logged_in, manager_user, verified):
    claim = verified(**DEMO_PAGO_MOVIL)
    response = logged_in(manager_user).delete(f"/transactions/{claim.pk}")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "claim_completed"
    claim.refresh_from_db()
    assert claim.deleted_at is None
    assert not AuditEvent.objects.filter(action="transaction.deleted").exists()


def test_delete_needs_the_delete_permission(logged_in, client_user, make_claim):
    claim = make_claim()
    assert logged_in(client_user).delete(f"/transactions/{claim.pk}").status_code == 403
    claim.refresh_from_db()
    assert claim.deleted_at is None


def test_bulk_delete_takes_a_json_array_of_ids(logged_in, manager_user, make_claim):
    claims = [make_claim() for _ in range(3)]
    kept = make_claim()
    ui = logged_in(manager_user)
    response = ui.post("/transactions/bulk-delete", [str(c.pk) for c in claims])
    assert response.status_code == 204, response.content
    assert Transaction.objects.filter(deleted_at__isnull=False).count() == 3
    assert AuditEvent.objects.filter(action="transaction.deleted", actor_id=manager_user.pk).count() == 3
    assert [i["id"] for i in ui.get(ui.list_path()).json()["items"]] == [str(kept.pk)]


def test_bulk_delete_is_all_or_nothing(logged_in, manager_user, make_claim, verified):
    pending = make_claim()
    completed = verified(**DEMO_PAGO_MOVIL)
    ui = logged_in(manager_user)
    refused = ui.post("/transactions/bulk-delete", [str(pending.pk), str(completed.pk)])
    assert refused.status_code == 409
    unknown = ui.post("/transactions/bulk-delete", [str(pending.pk), str(uuid.uuid4())])
    assert unknown.status_code == 404
    assert Transaction.objects.filter(deleted_at__isnull=False).count() == 0
    assert not AuditEvent.objects.filter(action="transaction.deleted").exists()


@pytest.mark.parametrize("body", [{}, [], "x", [{"id": 1}]])
def test_bulk_delete_bad_bodies_are_422(logged_in, manager_user, body):
    response = logged_in(manager_user).post("/transactions/bulk-delete", body)
    assert response.status_code == 422, response.content
    assert response.json()["message"]
