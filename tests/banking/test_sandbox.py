"""The simulator itself (in-process adapter): token endpoint, search modes, 70001 rules, faults."""

import base64
import json

import pytest
import requests

from banking.sandbox.adapter import SandboxAdapter
from banking.sandbox.app import handle
from banking.sandbox.state import SandboxState
from config.clock import caracas_today

BASE = "http://sandbox.test"
TOKEN = f"{BASE}/auth/realms/realm-api-qa/protocol/openid-connect/token"
QA_LOOKUP = f"{BASE}/transactions/financial-account/transactions"
PRD_LOOKUP = f"{BASE}/financial-account/transactions"
BASIC = "Basic " + base64.b64encode(b"sandbox-client:sandbox-secret").decode()


@pytest.fixture
def state():
    return SandboxState()


@pytest.fixture
def http(state):
    s = requests.Session()
    s.mount(BASE + "/", SandboxAdapter(state, sleep=lambda s: None))
    return s


def token(http, **form):
    data = {"grant_type": "password", "username": "sandbox-client", "password": "sandbox-secret", **form}
    return http.post(TOKEN, data=data, headers={"Authorization": BASIC})


def lookup(http, tx, url=QA_LOOKUP, bearer=None):
    bearer = bearer or token(http).json()["access_token"]
    body = {"dataRequest": {"device": {}, "securityAuth": {"sessionId": ""}, "transaction": tx}}
    return http.post(url, json=body, headers={"Authorization": f"Bearer {bearer}"})


MOBILE = {"referenceNumber": "678901", "phoneNum": "584141234567", "bankId": "0102"}


def mobile_tx():
    return {**MOBILE, "startDt": caracas_today().isoformat()}


def test_password_grant_basic_and_body(http):
    r = token(http)
    assert r.status_code == 200 and r.json()["expires_in"] == 300 and r.json()["token_type"] == "Bearer"
    r = http.post(
        TOKEN,
        data={
            "grant_type": "password",
            "username": "sandbox-client",
            "password": "sandbox-secret",
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
        },
    )
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("form", "headers", "status", "error"),
    [
        ({"grant_type": "client_credentials"}, {"Authorization": BASIC}, 400, "unauthorized_client"),
        (
            {"grant_type": "password", "username": "x", "password": "y"},
            {"Authorization": BASIC},
            401,
            "invalid_grant",
        ),
        (
            {"grant_type": "password"},
            {"Authorization": "Basic " + base64.b64encode(b"a:b").decode()},
            401,
            "invalid_client",
        ),
    ],
)
def test_token_refusals(http, form, headers, status, error):
    r = http.post(TOKEN, data=form, headers=headers)
    assert r.status_code == status and r.json()["error"] == error and r.json()["error_description"]


def test_wrong_realm_401(http):
    r = http.post(
        TOKEN.replace("realm-api-qa", "realm-x"),
        data={"grant_type": "password"},
        headers={"Authorization": BASIC},
    )
    assert r.status_code == 401


PATHS = {"qa": QA_LOOKUP, "production": PRD_LOOKUP}
ACCOUNT = "01340000000000000001"


@pytest.mark.parametrize(("flavour", "status"), [("qa", 401), ("production", 403)])
def test_bad_token_is_401_in_qa_and_403_in_production(http, state, flavour, status):
    state.flavour = flavour
    assert lookup(http, mobile_tx(), url=PATHS[flavour], bearer="forged").status_code == status


@pytest.mark.parametrize("flavour", ["qa", "production"])
def test_mobile_search_found_on_the_flavours_path(http, flavour, state):
    state.flavour = flavour
    r = lookup(http, mobile_tx(), url=PATHS[flavour])
    assert r.status_code == 200
    rows = r.json()["dataResponse"]["transactionDetail"]
    assert [row["referenceNumber"] for row in rows] == ["012345678901"]
    assert state.lookups_by_reference["678901"] == 1


@pytest.mark.parametrize(("flavour", "wrong"), [("production", QA_LOOKUP), ("qa", PRD_LOOKUP)])
def test_the_other_path_is_the_gateways_plain_text_404(http, state, flavour, wrong):
    state.flavour = flavour
    r = lookup(http, mobile_tx(), url=wrong)
    assert r.status_code == 404 and r.text == "404 No Mapping Rule matched"
    assert r.headers["Content-Type"] == "text/plain"


@pytest.mark.parametrize("reference", ["987654321012", "654321012", "0000987654321012"])
def test_transfer_search_by_full_reference_or_tail(http, reference):
    tx = {"referenceNumber": reference, "accountId": ACCOUNT, "bankId": "0134"}
    body = lookup(http, tx).json()
    assert body["httpStatus"]["statusCode"] == "200"
    assert [r["referenceNumber"] for r in body["dataResponse"]["transactionDetail"]] == ["987654321012"]


def test_transfer_rows_come_back_without_leading_zeros(http, state):
    state.add_payment(reference="00000150496", amount="10.00", mode="transfer", source_bank_id="0134")
    for reference in ("00000150496", "150496"):
        tx = {"referenceNumber": reference, "accountId": ACCOUNT, "bankId": "0134"}
        rows = lookup(http, tx).json()["dataResponse"]["transactionDetail"]
        assert [r["referenceNumber"] for r in rows] == ["150496"]


def test_interbank_search_by_tail_account_bank_and_date(http):
    tx = {
        "referenceNumber": "555666",
        "accountId": ACCOUNT,
        "bankId": "0105",
        "startDt": caracas_today().isoformat(),
    }
    rows = lookup(http, tx).json()["dataResponse"]["transactionDetail"]
    assert [(r["referenceNumber"], r["sourceBankId"]) for r in rows] == [("444555666", "0105")]
    # Without the date it is the Banesco→Banesco shape with a foreign bank: nothing found.
    del tx["startDt"]
    assert lookup(http, tx).json()["httpStatus"]["statusCode"] == "70001"


def test_masked_account_id_is_http_400(http):
    tx = {"referenceNumber": "987654321012", "accountId": "0134************0001", "bankId": "0134"}
    assert lookup(http, tx).status_code == 400


@pytest.mark.parametrize(("quirk", "key", "value"), [("other_currency", "currencyCode", "USD")])
def test_row_faults_answer_rows_that_are_not_the_payment(http, state, quirk, key, value):
    state.set_fault(quirk)
    row = lookup(http, mobile_tx()).json()["dataResponse"]["transactionDetail"][0]
    assert row[key] == value


def test_other_reference_fault(http, state):
    state.set_fault("other_reference")
    row = lookup(http, mobile_tx()).json()["dataResponse"]["transactionDetail"][0]
    assert row["referenceNumber"] != "012345678901" and not row["referenceNumber"].endswith("678901")


def test_requests_are_recorded_for_assertions(http, state):
    lookup(http, mobile_tx())
    assert state.requests() == [mobile_tx()]


@pytest.mark.parametrize(
    "tx",
    [
        {**MOBILE, "startDt": "x"}
        | {"startDt": caracas_today().isoformat(), "accountId": "01340000000000000001"},
        {
            "referenceNumber": "012345678901",
            "phoneNum": "584141234567",
            "bankId": "0102",
            "startDt": caracas_today().isoformat(),
        },  # full reference in the pago móvil mode
        {
            "referenceNumber": "987654321012",
            "accountId": "01340000000000000001",
            "bankId": "0134",
            "startDt": caracas_today().isoformat(),
        },
    ],  # a date in the transfer mode
)
def test_field_outside_the_mode_gives_70001(http, tx):
    r = lookup(http, tx)
    assert r.json()["httpStatus"]["statusCode"] == "70001"


@pytest.mark.parametrize(("flavour", "status"), [("qa", 200), ("production", 400)])
def test_70001_http_status_by_flavour(http, state, flavour, status):
    state.flavour = flavour
    r = lookup(http, {**mobile_tx(), "referenceNumber": "000000"}, url=PATHS[flavour])
    assert r.status_code == status and r.json()["httpStatus"]["statusCode"] == "70001"


@pytest.mark.parametrize(
    ("fault", "status", "check"),
    [
        ("5xx", 500, None),
        ("html", 502, "<html"),
        ("429", 429, "VRN05"),
        ("maintenance", 503, "VRN04"),
        ("crt503", 503, "CRT503"),
        ("vrn06", 424, "VRN06"),
        ("malformed", 200, "dataRes"),
    ],
)
def test_faults(http, state, fault, status, check):
    state.set_fault(fault, 1)
    r = lookup(http, mobile_tx())
    assert r.status_code == status
    if check:
        assert check in r.text
    if fault == "429":
        assert r.headers["Retry-After"] == "1"
    assert lookup(http, mobile_tx()).status_code == 200  # count=1: consumed


def test_timeout_fault_raises_read_timeout(http, state):
    state.set_fault("timeout")
    bearer = token(http).json()["access_token"]
    with pytest.raises(requests.ReadTimeout):
        http.post(
            QA_LOOKUP,
            json={"dataRequest": {"transaction": mobile_tx()}},
            headers={"Authorization": f"Bearer {bearer}"},
            timeout=(1, 0.2),
        )


def test_expired_token_fault(http, state):
    bearer = token(http).json()["access_token"]
    state.set_fault("expired_token", 1)
    assert lookup(http, mobile_tx(), bearer=bearer).status_code == 401
    assert lookup(http, mobile_tx(), bearer=bearer).status_code == 401  # that token is gone for good
    assert lookup(http, mobile_tx()).status_code == 200  # a new one works


def test_quirks_format(http, state):
    for q in ("status_number", "amount_string", "bank_id_unpadded", "space_padded"):
        state.set_fault(q)
    body = lookup(http, mobile_tx()).json()
    row = body["dataResponse"]["transactionDetail"][0]
    assert body["httpStatus"]["statusCode"] == 200
    assert (
        row["amount"] == "150.00" and row["sourceBankId"] == "102" and row["referenceNumber"].startswith(" ")
    )


def test_control_endpoint(state):
    r = handle(
        state,
        "POST",
        "/__sandbox__/payments",
        {},
        json.dumps([{"reference": "123456123456", "amount": "5.00", "phone": "584140000000"}]),
    )
    assert r.status == 201
    r = handle(
        state, "POST", "/__sandbox__/faults", {}, json.dumps({"fault": "5xx", "count": 2, "latency_ms": 5})
    )
    assert json.loads(r.body)["faults"] == {"5xx": 2} and state.latency_ms == 5
    assert handle(state, "POST", "/__sandbox__/faults", {}, json.dumps({"fault": "nope"})).status == 400
    counters = json.loads(handle(state, "GET", "/__sandbox__/counters", {}, b"").body)
    assert counters["payments"] == 10
    handle(state, "POST", "/__sandbox__/reset", {}, b"{}")
    assert state.faults == {} and len(state.payments) == 9
