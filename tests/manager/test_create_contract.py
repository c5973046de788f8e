"""POST /transactions/full-reference and /transactions/partial-reference as NewTransactionForm
sends them (NewTransactionForm.utils.ts: phones encoded as 58…, documents as V12345678)."""

import pytest

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
