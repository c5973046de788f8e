"""Issue 12 through the public API and the Banesco sandbox running as a real HTTP server.

Each test posts a claim with the API, lets the real verification run on commit against
`manage.py banesco_sandbox` (the network edge), and asserts both what the sandbox received and
what the claim became.
"""

import logging
import os
import uuid
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.core.management import call_command

from banking.models import BankLookup
from config.clock import caracas_today
from tests.banking.sandbox_server import SandboxProcess
from transactions.models import Transaction

pytestmark = pytest.mark.django_db

URL = "/api/v1/transactions/"
ACCOUNT = "01340000000000000001"
QA_PATH = "/transactions/financial-account/transactions"
PRD_PATH = "/financial-account/transactions"
CUSTOMER = {
    "full_name": "Ana Pérez",
    "phone": "04161234567",
    "national_id": "V12345678",
    "concept": "Consulta",
}
ERD_BODY = {  # the ERD's section 15.1 create body, as-is
    "transaction_id": "TEST123",
    "customer": {
        "full_name": "Juan Pérez",
        "phone": "04141234567",
        "national_id": "V12345678",
        "concept": "Pago de consulta",
    },
    "reference": "123456789",
    "bank": "BANESCO",
}


@pytest.fixture(scope="module")
def sandbox():
    server = SandboxProcess(timeout_seconds=2.0)
    yield server
    server.stop()


@pytest.fixture
def bank(sandbox, settings):
    """Point the project's Banesco settings at the HTTP sandbox (the worker looks claims up there)."""
    sandbox.reset()
    settings.BANESCO = {
        **settings.BANESCO,
        "ENVIRONMENT": "sandbox",
        "SANDBOX_IN_PROCESS": False,
        "AUTH_BASE_URL": sandbox.url,
        "API_BASE_URL": sandbox.url,
        "LOOKUP_PATH": QA_PATH,
        "REALM": "realm-api-qa",
        "RETRY_ATTEMPTS": 3,
        "RETRY_BACKOFF_INITIAL": 0.01,
        "RETRY_BACKOFF_MAX": 0.05,
        "READ_TIMEOUT": 0.5,
        "CACHE_PREFIX": f"ct-{uuid.uuid4().hex[:8]}",
    }
    caches["ratelimit"].clear()
    return sandbox


@pytest.fixture
def api(auth_client, client_user):
    return auth_client(client_user)


@pytest.fixture
def post(api):
    """POST a claim, then let the verification worker look it up (against the sandbox) once."""

    def _post(body):
        response = api.post(URL, body, format="json")
        call_command("verification_worker", "--once", stdout=open(os.devnull, "w"))  # noqa: SIM115
        return response

    return _post


def claim_of(body) -> Transaction:
    return Transaction.objects.get(transaction_id=body["transaction_id"])


def seq() -> str:
    return uuid.uuid4().hex[:10]


# --- the create contract ----------------------------------------------------------------------


def test_erd_body_as_is_is_201_and_completed_with_bank_amount(bank, post, api):
    r = post(ERD_BODY)
    assert r.status_code == 201, r.content
    assert r.json()["amount"] is None and r.json()["payment_date"] is None
    claim = claim_of(ERD_BODY)
    assert claim.payer_bank_code == "0134"  # Banesco→Banesco by default
    assert claim.status == "COMPLETED" and claim.bank_amount == Decimal("1250.00")
    assert claim.status_reason_code == "VERIFIED"
    # Banesco→Banesco: full reference, our account, bank 0134, no date.
    assert bank.requests() == [{"referenceNumber": "123456789", "accountId": ACCOUNT, "bankId": "0134"}]
    body = api.get(f"{URL}TEST123/").json()
    assert body["bank_amount"] == "1250.00" and body["status"] == "COMPLETED"
    (row,) = body["banesco_details"]["movements"]
    assert row["reference_number"] == "123456789" and row["supports_claim"]


def test_amountless_pago_movil_records_the_banks_amount(bank, post):
    bank.add_payments([{"reference": "310000310001", "amount": "42.10", "phone": "584161234567"}])
    body = {
        "transaction_id": f"pm-{seq()}",
        "bank": "MOBILE_TRANSFER",
        "reference": "310000310001",
        "payment_date": caracas_today().isoformat(),
        "payer_bank_code": "0102",
        "customer": CUSTOMER,
    }
    r = post(body)
    assert r.status_code == 201, r.content
    claim = claim_of(body)
    assert claim.amount is None and claim.bank_amount == Decimal("42.10") and claim.status == "COMPLETED"
    assert bank.requests() == [
        {
            "referenceNumber": "310001",
            "phoneNum": "584161234567",
            "bankId": "0102",
            "startDt": caracas_today().isoformat(),
        }
    ]


@pytest.mark.parametrize(
    ("body", "field", "phrase_en", "phrase_es"),
    [
        (
            {"bank": "MOBILE_TRANSFER", "payment_date": caracas_today().isoformat()},
            "payer_bank_code",
            "required for pago móvil",
            "obligatorio para pago móvil",
        ),
        (
            {"bank": "MOBILE_TRANSFER", "payer_bank_code": "0102"},
            "payment_date",
            "required for pago móvil",
            "obligatorio para pago móvil",
        ),
        (
            {"bank": "BANESCO", "payer_bank_code": "0105"},
            "payment_date",
            "required for interbank transfers",
            "obligatorio para transferencias interbancarias",
        ),
    ],
)
def test_missing_mode_field_is_400_naming_field_and_reason(api, bank, body, field, phrase_en, phrase_es):
    full = {"transaction_id": f"bad-{seq()}", "reference": "310000310002", "customer": CUSTOMER, **body}
    for language, phrase in (("en", phrase_en), ("es", phrase_es)):
        r = api.post(URL, full, format="json", HTTP_ACCEPT_LANGUAGE=language)
        assert r.status_code == 400, r.content
        details = r.json()["error"]["details"]
        assert list(details) == [field]
        assert phrase in details[field][0].lower(), details
    assert not Transaction.objects.exists() and bank.counters()["lookup_requests"] == 0


def test_given_amount_must_still_equal_the_banks(bank, post):
    bank.add_payments([{"reference": "310000310003", "amount": "42.10", "phone": "584161234567"}])
    body = {
        "transaction_id": f"pm-{seq()}",
        "bank": "MOBILE_TRANSFER",
        "reference": "310000310003",
        "amount": "42.00",
        "payment_date": caracas_today().isoformat(),
        "payer_bank_code": "0102",
        "customer": CUSTOMER,
    }
    assert post(body).status_code == 201
    claim = claim_of(body)
    assert claim.status == "TO_REVIEW" and claim.status_reason_code == "AMOUNT_MISMATCH"
    assert claim.bank_amount == Decimal("42.10")
    assert "42.10" in claim.status_reason and "42.00" in claim.status_reason


# --- the three look-up modes ------------------------------------------------------------------


def test_interbank_transfer_completes_with_its_own_fields(bank, post):
    bank.add_payments(
        [{"reference": "000777888999", "amount": "500.00", "mode": "transfer", "source_bank_id": "0105"}]
    )
    body = {
        "transaction_id": f"ib-{seq()}",
        "bank": "BANESCO",
        "reference": "000777888999",
        "payer_bank_code": "0105",
        "payment_date": caracas_today().isoformat(),
        "amount": "500.00",
        "customer": CUSTOMER,
    }
    assert post(body).status_code == 201
    claim = claim_of(body)
    assert claim.status == "COMPLETED", claim.status_reason
    assert bank.requests() == [
        {
            "referenceNumber": "888999",
            "accountId": ACCOUNT,
            "bankId": "0105",
            "startDt": caracas_today().isoformat(),
        }
    ]
    assert BankLookup.objects.get(claim_id=claim.pk).mode == "interbank"


def test_banesco_transfer_found_by_tail_answered_without_leading_zeros(bank, post):
    bank.add_payments(
        [{"reference": "00000150496", "amount": "10.00", "mode": "transfer", "source_bank_id": "0134"}]
    )
    body = {
        "transaction_id": f"bb-{seq()}",
        "bank": "BANESCO",
        "reference": "00000150496",
        "customer": CUSTOMER,
    }
    assert post(body).status_code == 201
    claim = claim_of(body)
    assert claim.status == "COMPLETED" and claim.bank_amount == Decimal("10.00")
    assert claim.decided_lookup.body["dataResponse"]["transactionDetail"][0]["referenceNumber"] == "150496"


# --- strict row matching, end to end ----------------------------------------------------------


def _pm_body(reference, **extra):
    return {
        "transaction_id": f"rm-{seq()}",
        "bank": "MOBILE_TRANSFER",
        "reference": reference,
        "payment_date": caracas_today().isoformat(),
        "payer_bank_code": "0102",
        "customer": CUSTOMER,
        **extra,
    }


@pytest.mark.parametrize(
    ("switch", "payment", "claimed", "code", "words"),
    [
        ("other_reference", {}, None, "REFERENCE_MISMATCH", "reference differs"),
        ("other_currency", {}, None, "CURRENCY_MISMATCH", "currency differs"),
        (None, {}, "20.01", "AMOUNT_MISMATCH", "amount differs"),
        (None, {"trn_type": "DB"}, None, "DEBIT", "debit"),
    ],
)
def test_row_that_is_not_the_payment_goes_to_review(bank, post, switch, payment, claimed, code, words):
    reference = f"4200{uuid.uuid4().int % 10**8:08d}"
    bank.add_payments([{"reference": reference, "amount": "20.00", "phone": "584161234567", **payment}])
    if switch:
        bank.set(fault=switch)
    body = _pm_body(reference, **({"amount": claimed} if claimed else {}))
    assert post(body).status_code == 201
    claim = claim_of(body)
    assert claim.status == "TO_REVIEW", claim.status_reason
    assert claim.status_reason_code == code and words in claim.status_reason.lower()


def test_several_supporting_rows_go_to_review(bank, post):
    rows = [
        {"reference": "430000430000", "amount": "5.00", "phone": "584161234567", "trn_time": t} for t in "12"
    ]
    bank.add_payments(rows)
    body = _pm_body("430000430000")
    post(body)
    claim = claim_of(body)
    assert (claim.status, claim.status_reason_code) == ("TO_REVIEW", "SEVERAL_ROWS")


# --- configuration faults are loud ------------------------------------------------------------


def test_wrong_path_is_unknown_and_an_error_log_after_exactly_one_lookup(bank, post, settings, caplog):
    bank.set(flavour="production")  # the production gateway; our LOOKUP_PATH is still QA's
    body = _pm_body("440000440000", amount="5.00")
    with caplog.at_level(logging.ERROR):
        assert post(body).status_code == 201
    claim = claim_of(body)
    assert claim.status == "UNKNOWN" and claim.status_reason_code == "CONFIG_FAULT"
    assert claim.verification_attempts == 0  # no retry burnt
    assert bank.counters()["lookup_requests"] == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("BANESCO_LOOKUP_PATH" in m for m in errors), errors


def test_403_then_one_refresh_then_completed(bank, post, settings):
    """Production answers a stale token with 403: one refresh, one retry, done."""
    bank.set(flavour="production")
    settings.BANESCO = {**settings.BANESCO, "LOOKUP_PATH": PRD_PATH, "REALM": "realm-api-prd"}
    bank.add_payments([{"reference": "450000450000", "amount": "7.00", "phone": "584161234567"}])
    bank.set(fault="expired_token", count=1)
    body = _pm_body("450000450000")
    post(body)
    claim = claim_of(body)
    assert claim.status == "COMPLETED"
    counters = bank.counters()
    assert counters["token_requests"] == 2 and counters["lookup_requests"] == 2
