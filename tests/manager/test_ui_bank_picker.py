"""What the real manager UI sent when it was driven in a browser against this service.

`NewTransactionForm` offers every code of the BCV's bank list (`src/types/banks.ts` at ec96165)
and, on a 422, shows only `error.message` in a toast (never `details`). Driving it with the
first bank of its picker (0001, the central bank) answered "Invalid payment claim." and nothing
the cashier could act on; and 0601 was refused as unknown although it is on the list.
"""

import pytest

from transactions.banks import BANKS
from transactions.models import Transaction
from transactions.validators import caracas_today

pytestmark = pytest.mark.django_db

# The codes of the UI's bank picker (facts read from src/types/banks.ts at ec96165).
UI_BANK_CODES = [
    "0001",
    "0102",
    "0104",
    "0105",
    "0108",
    "0114",
    "0115",
    "0128",
    "0134",
    "0137",
    "0138",
    "0146",
    "0151",
    "0156",
    "0157",
    "0163",
    "0166",
    "0168",
    "0169",
    "0171",
    "0172",
    "0173",
    "0174",
    "0175",
    "0177",
    "0178",
    "0191",
    "0601",
]


def _as_the_ui_sent_it(**overrides):
    """The body captured from the browser (mapNewTransactionFormToPartialReference)."""
    body = {
        "reference_number": "303030",
        "phone_number": "584141234567",
        "operation_date": caracas_today().isoformat(),
        "bank_code": "0001",
        "customer_full_name": "Paciente UI",
        "customer_document": "V12345678",
        "customer_phone": "584141234567",
    }
    body.update(overrides)
    return body


def test_every_payer_bank_the_ui_offers_is_known_here():
    assert set(UI_BANK_CODES) - set(BANKS) == {"0001"}


def test_the_central_bank_is_refused_with_a_message_the_toast_can_show(logged_in, manager_user):
    ui = logged_in(manager_user)
    ui.http.defaults["HTTP_ACCEPT_LANGUAGE"] = "es"
    response = ui.post("/transactions/partial-reference", _as_the_ui_sent_it())
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"]["details"]["fields"]["bank_code"]
    # The toast's description is error.message: it names the field and the reason.
    assert "bank_code" in body["error"]["message"]
    assert "Banco Central de Venezuela" in body["error"]["message"]
    assert body["message"] == body["error"]["message"]
    assert not Transaction.objects.exists()


def test_every_reason_is_in_the_message_in_english_too(logged_in, manager_user):
    ui = logged_in(manager_user)
    ui.http.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = ui.post(
        "/transactions/partial-reference",
        _as_the_ui_sent_it(bank_code="0102", operation_date="2099-01-01", reference_number="12"),
    )
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert message.startswith("Invalid payment claim.")
    assert "operation_date: The payment date cannot be in the future." in message
    assert "reference_number: " in message


def test_the_municipal_credit_institute_is_a_payer_bank(logged_in, manager_user):
    response = logged_in(manager_user).post(
        "/transactions/partial-reference", _as_the_ui_sent_it(bank_code="0601")
    )
    assert response.status_code == 201, response.content
    assert Transaction.objects.get(pk=response.json()["id"]).payer_bank_code == "0601"
