"""POST /transactions/full-reference and /transactions/partial-reference as NewTransactionForm
sends them (NewTransactionForm.utils.ts: phones encoded as 58…, documents as V12345678)."""

import pytest
from django.core.management import call_command

from transactions.models import Transaction

pytestmark = pytest.mark.django_db


def test_validation_errors_are_422_named_as_the_contract_names_them(logged_in, manager_user):
    ui = logged_in(manager_user)
    response = ui.post(
        "/transactions/partial-reference",
        {
            "reference_number": "12AB",
            "phone_number": "58999",
            "operation_date": "2099-01-01",
            "bank_code": "9999",
            "customer_full_name": "María Pérez",
            "customer_phone": "58999",
            "customer_document": "X1",
        },
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["message"] and body["error"]["code"] == "validation_error"
    fields = body["error"]["details"]["fields"]
    assert {"reference_number", "phone_number", "operation_date", "bank_code", "customer_document"} <= set(
        fields
    )
    assert not Transaction.objects.exists()


def test_a_second_different_customer_phone_is_refused(logged_in, manager_user):
    response = logged_in(manager_user).post(
        "/transactions/partial-reference",
        {
            "reference_number": "123456",
            "phone_number": "584141234567",
            "operation_date": "2025-01-01",
            "bank_code": "0102",
            "customer_full_name": "María Pérez",
            "customer_phone": "584241234567",
            "customer_document": "V12345678",
        },
    )
    assert response.status_code == 422
    assert "customer_phone" in response.json()["error"]["details"]["fields"]


def test_create_needs_the_add_permission(logged_in, auditor_user):
    response = logged_in(auditor_user).post(
        "/transactions/full-reference", {"reference": "123456789012", "customer_full_name": "Ana"}
    )
    assert response.status_code == 403


def _full_reference_form(**overrides):
    """mapNewTransactionFormToFullReference: phone/document only when the operator typed them."""
    body = {
        "reference": "987654321012",  # the sandbox's seeded Banesco→Banesco transfer (2500.50)
        "customer_full_name": "María Pérez",
        "customer_document": "V12345678",
        "customer_phone": "584141234567",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def _partial_reference_form(**overrides):
    """mapNewTransactionFormToPartialReference (the sandbox's seeded pago móvil, 150.00)."""
    from transactions.validators import caracas_today

    body = {
        "reference_number": "012345678901",
        "phone_number": "584141234567",
        "operation_date": caracas_today().isoformat(),
        "bank_code": "0102",
        "customer_full_name": "María Pérez",
        "customer_document": "V12345678",
        "customer_phone": "584141234567",
    }
    body.update(overrides)
    return body


def test_full_reference_creates_an_amountless_transfer_that_the_bank_completes(logged_in, manager_user):
    ui = logged_in(manager_user)
    response = ui.post("/transactions/full-reference", _full_reference_form())
    assert response.status_code == 201, response.content
    body = response.json()
    claim = Transaction.objects.get(pk=body["id"])  # NewTransactionForm routes to response.data.id
    assert (claim.bank, claim.reference, claim.amount, claim.payment_date) == (
        "BANESCO",
        "987654321012",
        None,
        None,
    )
    assert (claim.payer_bank_code, claim.customer_phone, claim.created_by_id) == (
        "0134",
        "04141234567",
        manager_user.pk,
    )
    assert body["type"] == "TRANSFER" and body["status"] == "IN_PROGRESS" and body["amount"] is None
    assert ui.post(f"/transactions/{claim.pk}/refresh").status_code == 202  # queued for the worker
    call_command("verification_worker", "--once")
    verified = ui.get(f"/transactions/{claim.pk}").json()
    assert verified["status"] == "COMPLETED"
    assert verified["amount"] == "2500.50"  # the bank's amount
    assert verified["details"]["referenceNumber"] == "987654321012"
    assert verified["details"]["amount"] == "2500.50"


def test_full_reference_without_phone_or_document(logged_in, manager_user):
    response = logged_in(manager_user).post(
        "/transactions/full-reference", _full_reference_form(customer_phone=None, customer_document=None)
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["customer_phone"], body["customer_document"]) == ("", "")


def test_partial_reference_creates_a_pago_movil_that_the_bank_completes(logged_in, manager_user):
    ui = logged_in(manager_user)
    response = ui.post("/transactions/partial-reference", _partial_reference_form())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["type"] == "MOBILE_PAYMENT" and body["bank"] == "0102" and body["amount"] is None
    claim = Transaction.objects.get(pk=body["id"])
    assert (claim.bank, claim.customer_phone, claim.customer_national_id) == (
        "MOBILE_TRANSFER",
        "04141234567",
        "V12345678",
    )
    call_command("verification_worker", "--once")  # the create queued the look-up
    verified = ui.get(f"/transactions/{claim.pk}").json()
    assert verified["status"] == "COMPLETED" and verified["amount"] == "150.00"
    assert verified["details"]["sourceBankId"] == "0102"


def test_partial_reference_needs_the_pago_movil_fields(logged_in, manager_user):
    response = logged_in(manager_user).post(
        "/transactions/partial-reference", _partial_reference_form(operation_date="", bank_code="")
    )
    assert response.status_code == 422
    assert {"operation_date", "bank_code"} <= set(response.json()["error"]["details"]["fields"])


def test_a_reference_already_claimed_is_422_duplicate_reference(logged_in, manager_user):
    ui = logged_in(manager_user)
    first = ui.post("/transactions/partial-reference", _partial_reference_form()).json()
    response = ui.post("/transactions/partial-reference", _partial_reference_form())
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "DUPLICATE_REFERENCE"  # NewTransactionForm's isAlreadyInUse
    assert error["details"] == {"existing_transaction_id": first["id"], "reference": "012345678901"}
    assert error["message"] and response.json()["message"] == error["message"]
    assert Transaction.objects.count() == 1


def test_creates_are_rate_limited_like_the_main_api(logged_in, manager_user, settings):
    settings.CLAIM_CREATE_RATE = "1/m"
    ui = logged_in(manager_user)
    assert ui.post("/transactions/full-reference", _full_reference_form()).status_code == 201
    limited = ui.post("/transactions/partial-reference", _partial_reference_form())
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
