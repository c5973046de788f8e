"""Schemathesis against /api/schema/ (in-process WSGI, real PostgreSQL), as a client and as an admin.

Bounded in CI (a few examples per operation); FUZZ_LONG=1 runs many more. Checks: schemathesis'
own (no 5xx, status codes / content types / bodies / headers conform to the schema) plus ours:
every 4xx/5xx body is the error envelope.
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import RefreshToken

LONG = os.environ.get("FUZZ_LONG") == "1"
MAX_EXAMPLES = 200 if LONG else 12
CASES = {"n": 0, "by_status": {}}


def _load_schema():
    """The schema served by the app itself; requests go through the real WSGI stack in-process.

    Loaded at import (serving /api/schema/ needs no database). schemathesis' lazy `from_fixture`
    does not work with pytest 9 (it reads `Function._nodeid`), hence the module-level schema.
    """
    from config.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/", application)


schema = _load_schema()


@pytest.fixture(autouse=True)
def _keep_test_connection(db):
    """Like django.test.Client: keep the test's DB connection open across in-process requests
    (Django closes "old" connections at request end, which would end the test transaction)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _headers(role, make_user, client_user, settings):
    settings.CLAIM_CREATE_RATE = "100000/m"
    from transactions import services

    user = client_user if role == "client" else make_user("admin", is_staff=True)
    # something to read: one claim owned by the client user
    services.create_claim(
        data={
            "transaction_id": "fuzz-seed-1",
            "bank": "MOBILE_TRANSFER",
            "transaction_type": "TRANSACTION",
            "reference": "424242424242",
            "amount": "10.00",
            "payment_date": __import__("django.utils.timezone").utils.timezone.localdate(),
            "payer_bank_code": "0102",
            "customer_full_name": "Ana Pérez",
            "customer_phone": "04141234567",
            "customer_national_id": "V12345678",
            "concept": "",
            "metadata": {},
        },
        actor=client_user,
    )
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


@pytest.fixture
def client_headers(make_user, client_user, settings):
    return _headers("client", make_user, client_user, settings)


@pytest.fixture
def admin_headers(make_user, client_user, settings):
    return _headers("admin", make_user, client_user, settings)


def assert_envelope(response) -> None:
    if response.status_code < 400:
        return
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        raise AssertionError(f"{response.status_code} without a JSON envelope: {response.content[:200]!r}")
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert {"code", "message", "details"} <= set(body["error"]), body


FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=not LONG,
    database=None,
)


# Request-strictness checks are off: the schema cannot express business rules (payment date within
# 90 days, a refresh token that really exists), and an empty query value (`?to_date=`) means "no
# filter" — neither is a safety issue. Everything about responses stays on.
EXCLUDED = [schemathesis.checks.positive_data_acceptance, schemathesis.checks.negative_data_rejection]


def _run(case, headers):
    response = case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)
    CASES["n"] += 1
    CASES["by_status"][response.status_code] = CASES["by_status"].get(response.status_code, 0) + 1
    assert response.status_code < 500, response.content[:500]
    assert_envelope(response)


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_client(case, client_headers):
    _run(case, client_headers)


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_admin(case, admin_headers):
    _run(case, admin_headers)


def test_stateful_workflows_as_client(client_headers):
    """Links schemathesis infers from the schema: create -> read / status / events / cancel -> read."""
    base = schema.as_state_machine()

    class Workflow(base):
        def get_call_kwargs(self, case):
            return {"headers": client_headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            CASES["n"] += 1
            CASES["by_status"][response.status_code] = CASES["by_status"].get(response.status_code, 0) + 1
            assert response.status_code < 500, response.content[:500]
            assert_envelope(response)
            # ignored_auth is left to the stateless cases above (explicit headers, every operation):
            # here the token comes through get_call_kwargs, which schemathesis counts as *generated*
            # auth, so any 2xx on a secured operation (e.g. GET /webhooks/endpoints/) would "fail".
            case.validate_response(
                response,
                excluded_checks=[*EXCLUDED, schemathesis.checks.ignored_auth],
                transport_kwargs=kwargs or None,
            )

    Workflow.run(
        settings=settings(
            max_examples=60 if LONG else 8,
            stateful_step_count=10 if LONG else 5,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=not LONG,
            database=None,
        )
    )


def test_zz_report_case_count(capsys):
    """Prints how many cases ran in this process (the figure reported in docs/OPERATIONS.md)."""
    with capsys.disabled():
        print(f"\nschemathesis cases run: {CASES['n']} by status {dict(sorted(CASES['by_status'].items()))}")


# Regressions found by the long fuzzing run (FUZZ_LONG=1), pinned here so CI keeps them fixed.
@pytest.mark.parametrize(
    "value",
    [
        "8499-02-18T11:25:38.83+16:15",  # PostgreSQL only accepts offsets up to ±15:59
        "2026-01-01T00:00:00-23:59",
        "9999-12-31T23:59:59-05:00",  # past datetime.max once converted to UTC
        "0001-01-01T00:00:00+05:00",  # before datetime.min once converted to UTC
    ],
)
@pytest.mark.parametrize("param", ["from", "to"])
def test_audit_time_filters_with_extreme_offsets_are_not_500(param, value, admin_headers):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=admin_headers["Authorization"])
    response = client.get("/api/v1/audit/events/", {param: value})
    assert response.status_code in (200, 400), (response.status_code, response.content[:300])
    assert_envelope(response)
    # and the request after it still works (no poisoned transaction)
    assert client.get("/api/v1/audit/events/").status_code == 200
