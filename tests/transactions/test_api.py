import datetime as dt
import json

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from config.clock import CARACAS, caracas_today
from transactions.models import Status, Transaction

pytestmark = pytest.mark.django_db

URL = "/api/v1/transactions/"


def detail(tx_id, suffix=""):
    return f"{URL}{tx_id}/{suffix}"


@pytest.fixture
def client_api(auth_client, client_user):
    return auth_client(client_user)


# --- create ---------------------------------------------------------------------------------


def test_create_201_then_replay_200_then_conflict_409(client_api, api_payload):
    body = api_payload()
    r1 = client_api.post(URL, body, format="json")
    assert r1.status_code == 201, r1.content
    data = r1.json()
    assert data["status"] == "IN_PROGRESS"
    assert data["customer"] == {
        "full_name": "María José Pérez",
        "phone": "04141234567",
        "national_id": "V12345678",
        "concept": "Consulta",
    }
    assert data["amount"] == "1500.50"
    assert data["payer_bank_name"] == "Banco de Venezuela"
    assert data["banesco_details"] is None
    assert data["created_at"].endswith("-04:00")  # shown in Caracas time

    r2 = client_api.post(URL, body, format="json")
    assert r2.status_code == 200
    assert r2.json() == data

    r3 = client_api.post(URL, dict(body, amount="1500.51", payer_bank_code="0105"), format="json")
    assert r3.status_code == 409
    err = r3.json()["error"]
    assert err["code"] == "idempotency_conflict"
    assert sorted(err["details"]["fields"]) == ["amount", "payer_bank_code"]
    assert Transaction.objects.count() == 1
    assert AuditEvent.objects.filter(action="transaction.created").count() == 1


def test_create_duplicate_reference_409(client_api, api_payload):
    body = api_payload()
    assert client_api.post(URL, body, format="json").status_code == 201
    r = client_api.post(URL, dict(body, transaction_id="another"), format="json")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "duplicate_reference"


@pytest.mark.parametrize(
    ("lang", "needle"),
    [("en", "Venezuelan mobile number"), ("es", "número de teléfono móvil venezolano")],
)
def test_create_validation_400_in_requested_language(client_api, api_payload, lang, needle):
    body = api_payload(customer={"phone": "12345"}, amount="1.999", payer_bank_code="0999")
    r = client_api.post(URL, body, format="json", HTTP_ACCEPT_LANGUAGE=lang)
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "validation_error"
    text = json.dumps(err, ensure_ascii=False)
    assert needle in text
    fields = err["details"]["fields"]
    assert set(fields) == {"customer", "amount", "payer_bank_code"}
    assert "phone" in fields["customer"]
    assert Transaction.objects.count() == 0


@pytest.mark.parametrize(
    "mutation",
    [
        {"transaction_id": "bad id!"},
        {"bank": "PAYPAL"},
        {"transaction_type": "GIFT"},
        {"reference": "12ab56"},
        {"amount": -1},
        {"amount": "abc"},
        {"payment_date": "2999-01-01"},
        {"payment_date": "not-a-date"},
        {"customer": {"full_name": "R2-D2"}},
        {"customer": {"national_id": "X1"}},
        {"customer": {"concept": "x" * 501}},
        {"metadata": [1, 2]},
        {"metadata": {"k": "x" * 9000}},
        {"unexpected": 1},
    ],
)
def test_create_rejects_each_bad_field(client_api, api_payload, mutation):
    r = client_api.post(URL, api_payload(**mutation), format="json")
    assert r.status_code == 400, r.content
    key = next(iter(mutation))
    assert key in r.json()["error"]["details"]["fields"]


def test_create_missing_body_and_non_object(client_api):
    assert client_api.post(URL, {}, format="json").status_code == 400
    assert client_api.post(URL, [1, 2], format="json").status_code == 400
    r = client_api.post(URL, "{not json", content_type="application/json")
    assert r.status_code == 400


def test_create_accepts_json_number_amount(client_api, api_payload):
    r = client_api.post(URL, api_payload(amount=10.1), format="json")
    assert r.status_code == 201
    assert r.json()["amount"] == "10.10"


def test_create_strips_markup_from_concept(client_api, api_payload):
    r = client_api.post(
        URL, api_payload(customer={"concept": "<b>Pago</b>  <script>x</script>"}), format="json"
    )
    assert r.status_code == 201
    assert r.json()["customer"]["concept"] == "Pago x"


def test_only_clients_create(auth_client, reconciler_user, auditor_user, api_payload, api_client):
    for user in (reconciler_user, auditor_user):
        assert auth_client(user).post(URL, api_payload(), format="json").status_code == 403
    assert api_client.post(URL, api_payload(), format="json").status_code == 401


def test_create_rate_limited_429_with_retry_after(client_api, api_payload, settings):
    settings.CLAIM_CREATE_RATE = "2/m"
    assert client_api.post(URL, api_payload(), format="json").status_code == 201
    assert client_api.post(URL, api_payload(), format="json").status_code == 201
    r = client_api.post(URL, api_payload(), format="json")
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(r["Retry-After"]) <= 60
    assert Transaction.objects.count() == 2


def test_rate_limit_is_per_user(auth_client, make_user, api_payload, settings):
    settings.CLAIM_CREATE_RATE = "1/m"
    a, b = auth_client(make_user("client")), auth_client(make_user("client"))
    assert a.post(URL, api_payload(), format="json").status_code == 201
    assert a.post(URL, api_payload(), format="json").status_code == 429
    assert b.post(URL, api_payload(), format="json").status_code == 201


# --- read / isolation -----------------------------------------------------------------------


def test_retrieve_own_claim_with_sanitised_bank_details(client_api, make_claim, bank_verify):
    claim = make_claim()
    bank_verify(
        claim,
        payments=[
            {
                "reference": claim.reference,
                "amount": str(claim.amount),
                "phone": "58" + claim.customer_phone[1:],
                "source_bank_id": claim.payer_bank_code,
                "trn_date": claim.payment_date,
            }
        ],
        faults=["space_padded", "amount_string"],
    )
    assert claim.status == "COMPLETED" and claim.decided_lookup.body["dataResponse"]
    r = client_api.get(detail(claim.transaction_id))
    assert r.status_code == 200
    body = r.json()
    details = body["banesco_details"]
    assert details["status_code"] == "200"
    (row,) = details["movements"]
    assert row["reference_number"] == claim.reference and row["amount"] == str(claim.amount)
    assert row["trn_type"] == "CR" and row["supports_claim"] is True and row["verdict"] == ""
    assert body["bank_amount"] == str(claim.amount) and body["status_reason_code"] == "VERIFIED"
    # Whitelisted: the beneficiary id the bank adds to each row is not shown.
    assert "customerIdBen" not in r.content.decode() and "J000000001" not in r.content.decode()


def test_other_clients_claim_is_404_on_every_route(auth_client, make_user, make_claim):
    claim = make_claim()
    intruder = auth_client(make_user("client"))
    for method, path in [
        ("get", detail(claim.transaction_id)),
        ("get", detail(claim.transaction_id, "status/")),
        ("get", detail(claim.transaction_id, "events/")),
        ("post", detail(claim.transaction_id, "cancel/")),
    ]:
        r = getattr(intruder, method)(path, format="json")
        assert r.status_code == 404, (method, path, r.status_code)
        assert r.json()["error"]["code"] == "not_found"
    listed = intruder.get(URL).json()
    assert listed["total"] == 0
    claim.refresh_from_db()
    assert claim.status == Status.IN_PROGRESS


def test_staff_roles_read_all_claims(auth_client, reconciler_user, auditor_user, admin_user, make_claim):
    claim = make_claim()
    for user in (reconciler_user, auditor_user, admin_user):
        c = auth_client(user)
        assert c.get(URL).json()["total"] == 1
        assert c.get(detail(claim.transaction_id)).status_code == 200


def test_unknown_id_and_bad_id_are_404(client_api):
    assert client_api.get(detail("nope")).status_code == 404
    assert client_api.get(URL + "bad%20id/").status_code == 404


def test_soft_deleted_claim_is_invisible(client_api, make_claim):
    claim = make_claim()
    Transaction.objects.filter(pk=claim.pk).update(deleted_at=timezone.now())
    assert client_api.get(detail(claim.transaction_id)).status_code == 404
    assert client_api.get(URL).json()["total"] == 0


# --- status / cancel / events ---------------------------------------------------------------


def test_status_endpoint_reads_the_stored_status(client_api, make_claim):
    from banking.models import BankLookup

    claim = make_claim()
    r = client_api.get(detail(claim.transaction_id, "status/"))
    assert r.status_code == 200
    assert set(r.json()) == {
        "transaction_id",
        "status",
        "status_reason",
        "last_verified_at",
        "next_verification_at",
        "verification_attempts",
    }
    assert r.json()["status"] == "IN_PROGRESS" and r.json()["verification_attempts"] == 0
    done = make_claim(status=Status.COMPLETED)
    assert client_api.get(detail(done.transaction_id, "status/")).json()["status"] == "COMPLETED"
    assert BankLookup.objects.count() == 0  # reads never call the bank (tests/transactions/test_worker.py)


def test_status_reads_only_the_status_columns(client_api, make_claim, make_user, bank_verify):
    """The status answer needs six columns: one claim query, without the joined bank look-up and
    the JSON columns (docs/PERFORMANCE.md), same answer and same 404s as the full read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    claim = make_claim()
    bank_verify(claim)  # the stored bank answer and look-up as the verification writes them
    assert claim.banesco_payload and claim.verification_attempts == 1 and claim.last_verified_at
    with CaptureQueriesContext(connection) as ctx:
        r = client_api.get(detail(claim.transaction_id, "status/"))
    assert r.status_code == 200
    claim_sql = [q["sql"] for q in ctx.captured_queries if '"transactions_transaction"' in q["sql"]]
    assert len(claim_sql) == 1
    assert "JOIN" not in claim_sql[0] and "banesco_payload" not in claim_sql[0]
    full = client_api.get(detail(claim.transaction_id)).json()
    assert r.json() == {k: full[k] for k in r.json()}
    assert r.json()["status"] == claim.status and r.json()["verification_attempts"] == 1
    assert r.json()["status_reason"] == claim.status_reason
    # Not the user's, deleted, absent: 404 as before.
    other = make_claim(owner=make_user())
    assert client_api.get(detail(other.transaction_id, "status/")).status_code == 404
    Transaction.objects.filter(pk=claim.pk).update(deleted_at=timezone.now())
    assert client_api.get(detail(claim.transaction_id, "status/")).status_code == 404
    assert client_api.get(detail("no-such-claim", "status/")).status_code == 404


def test_cancel_by_owner_then_again_409(client_api, make_claim):
    claim = make_claim()
    r = client_api.post(detail(claim.transaction_id, "cancel/"), {"reason": "Duplicated"}, format="json")
    assert r.status_code == 200
    assert r.json()["status"] == "CANCELED"
    r2 = client_api.post(detail(claim.transaction_id, "cancel/"), format="json")
    assert r2.status_code == 409
    assert r2.json()["error"]["code"] == "invalid_transition"


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.TO_REVIEW, Status.CANCELED])
def test_cancel_in_non_withdrawable_status_409(client_api, make_claim, status):
    claim = make_claim(status=status)
    assert client_api.post(detail(claim.transaction_id, "cancel/")).status_code == 409
    claim.refresh_from_db()
    assert claim.status == status


def test_cancel_by_reconciler_403_by_admin_200(auth_client, reconciler_user, admin_user, make_claim):
    claim = make_claim()
    assert auth_client(reconciler_user).post(detail(claim.transaction_id, "cancel/")).status_code == 403
    assert auth_client(admin_user).post(detail(claim.transaction_id, "cancel/")).status_code == 200


def test_events_newest_first_paginated(client_api, make_claim):
    claim = make_claim()
    client_api.post(detail(claim.transaction_id, "cancel/"), format="json")
    r = client_api.get(detail(claim.transaction_id, "events/"))
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 2
    assert [e["action"] for e in body["items"]] == ["transaction.status_changed", "transaction.created"]
    assert body["items"][0]["before"]["status"] == "IN_PROGRESS"
    assert body["items"][0]["after"]["status"] == "CANCELED"


# --- list: pagination, filters, ordering, query count ---------------------------------------


def test_pagination_shape_and_bounds(client_api, make_claim):
    for _ in range(7):
        make_claim()
    r = client_api.get(URL, {"size": 3, "page": 3})
    body = r.json()
    assert set(body) == {"items", "total", "page", "size", "pages"}
    assert (body["total"], body["page"], body["size"], body["pages"]) == (7, 3, 3, 3)
    assert len(body["items"]) == 1
    assert client_api.get(URL, {"size": 500}).json()["size"] == 100
    r404 = client_api.get(URL, {"size": 3, "page": 4})
    assert r404.status_code == 404
    assert r404.json()["error"]["code"] == "not_found"
    assert client_api.get(URL, {"page": "x"}).status_code == 404


def test_list_default_order_newest_first(client_api, make_claim):
    a, b = make_claim(), make_claim()
    ids = [i["transaction_id"] for i in client_api.get(URL).json()["items"]]
    assert ids == [b.transaction_id, a.transaction_id]


def _ids(client, params):
    r = client.get(URL, params)
    assert r.status_code == 200, r.content
    return {i["transaction_id"] for i in r.json()["items"]}


def test_each_filter(client_api, make_claim):
    today = caracas_today()
    a = make_claim(
        bank="BANESCO",
        amount="10.00",
        customer_phone="04121112233",
        customer_national_id="E1234567",
        customer_full_name="Pedro Núñez",
        payment_date=today - dt.timedelta(days=5),
    )
    b = make_claim(transaction_type="COMMISSION", amount="500.00", transaction_id="ABC-portal-9")
    c = make_claim(status=Status.TO_REVIEW, amount="99.99")
    # c created "yesterday" in Caracas
    Transaction.objects.filter(pk=c.pk).update(
        created_at=dt.datetime.combine(today - dt.timedelta(days=1), dt.time(23, 30), tzinfo=CARACAS)
    )

    assert _ids(client_api, {"status": "TO_REVIEW"}) == {c.transaction_id}
    assert _ids(client_api, {"bank": "BANESCO"}) == {a.transaction_id}
    assert _ids(client_api, {"transaction_type": "COMMISSION"}) == {b.transaction_id}
    assert _ids(client_api, {"reference": a.reference}) == {a.transaction_id}
    assert _ids(client_api, {"phone": "+58 412-111 2233"}) == {a.transaction_id}
    assert _ids(client_api, {"national_id": "e-1.234.567"}) == {a.transaction_id}
    assert _ids(client_api, {"from_date": today.isoformat()}) == {a.transaction_id, b.transaction_id}
    assert _ids(client_api, {"to_date": (today - dt.timedelta(days=1)).isoformat()}) == {c.transaction_id}
    assert _ids(client_api, {"payment_date_to": (today - dt.timedelta(days=1)).isoformat()}) == {
        a.transaction_id
    }
    assert _ids(client_api, {"payment_date_from": today.isoformat()}) == {b.transaction_id, c.transaction_id}
    assert _ids(client_api, {"amount_min": "99.99"}) == {b.transaction_id, c.transaction_id}
    assert _ids(client_api, {"amount_max": "99.99"}) == {a.transaction_id, c.transaction_id}
    assert _ids(client_api, {"search": "ABC-por"}) == {b.transaction_id}
    assert _ids(client_api, {"search": a.reference[:8]}) >= {a.transaction_id}
    assert _ids(client_api, {"search": "núñez"}) == {a.transaction_id}
    ordered = [i["transaction_id"] for i in client_api.get(URL, {"ordering": "-amount"}).json()["items"]]
    assert ordered == [b.transaction_id, c.transaction_id, a.transaction_id]
    ordered = [i["transaction_id"] for i in client_api.get(URL, {"ordering": "amount"}).json()["items"]]
    assert ordered == [a.transaction_id, c.transaction_id, b.transaction_id]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "NOPE"},
        {"bank": "x"},
        {"phone": "123"},
        {"national_id": "Z1"},
        {"reference": "abc"},
        {"from_date": "yesterday"},
        {"to_date": "2025-02-30"},
        {"amount_min": "abc"},
        {"amount_max": "1e999999"},
        {"amount_min": "NaN"},
        {"ordering": "customer_phone"},
        {"search": "x" * 101},
        {"payment_date_from": "99999-01-01"},
    ],
)
def test_bad_filter_values_are_400_envelope(client_api, params):
    r = client_api.get(URL, params)
    assert r.status_code == 400, (params, r.status_code, r.content[:200])
    assert r.json()["error"]["code"] == "validation_error"


def test_to_date_max_does_not_crash(client_api, make_claim):
    make_claim()
    assert client_api.get(URL, {"to_date": "9999-12-31"}).json()["total"] == 1


def test_list_query_count_constant_in_page_size(
    auth_client, reconciler_user, make_claim, django_assert_max_num_queries
):
    for _ in range(105):
        make_claim()
    c = auth_client(reconciler_user)
    c.get(URL, {"size": 1})  # warm the auth cache (accounts.authcache) so both requests compare alike
    with django_assert_max_num_queries(8) as small:
        assert len(c.get(URL, {"size": 5}).json()["items"]) == 5
    with django_assert_max_num_queries(8) as big:
        assert len(c.get(URL, {"size": 100}).json()["items"]) == 100
    assert len(big.captured_queries) == len(small.captured_queries)


def test_events_hide_staff_labels_from_clients(auth_client, client_user, admin_user, make_claim):
    claim = make_claim()
    auth_client(admin_user).post(detail(claim.transaction_id, "cancel/"), format="json")
    items = auth_client(client_user).get(detail(claim.transaction_id, "events/")).json()["items"]
    labels = {i["action"]: i["actor_label"] for i in items}
    assert labels["transaction.status_changed"] == ""
    assert labels["transaction.created"] == client_user.email
    staff_items = auth_client(admin_user).get(detail(claim.transaction_id, "events/")).json()["items"]
    assert staff_items[0]["actor_label"] == admin_user.email
    assert staff_items[0]["reason"] == "Canceled by an administrator."


def test_nul_characters_are_400_not_500(client_api, api_payload):
    r = client_api.post(URL, api_payload(metadata={"note": "evil\u0000"}), format="json")
    assert r.status_code == 400
    assert "metadata" in r.json()["error"]["details"]["fields"]
    r = client_api.post(URL, api_payload(customer={"concept": "\u202eevil\u0000nul"}), format="json")
    assert r.status_code == 201
    assert r.json()["customer"]["concept"] == "evilnul"
    assert client_api.get(URL, {"search": "a\u0000b"}).status_code == 400
