"""Schemathesis against /api/manager/schema/ as a manager (in-process WSGI, real PostgreSQL):
no 5xx, answers conform to the manager schema, and every error carries the envelope plus the
top-level `message` the UI reads. Same bounds as tests/reliability/test_fuzz_api.py."""

from __future__ import annotations

import json

import schemathesis
from rest_framework_simplejwt.tokens import RefreshToken

from tests.reliability.test_fuzz_api import EXCLUDED, FUZZ_SETTINGS, _keep_test_connection  # noqa: F401


def _load_schema():
    from config.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/manager/schema/", application)


schema = _load_schema()


def _headers(manager_user, make_claim, settings):
    make_claim()  # something to read
    return {"Authorization": f"Bearer {RefreshToken.for_user(manager_user).access_token}"}


@schema.parametrize()
@FUZZ_SETTINGS
def test_manager_profile_as_a_manager(case, manager_user, make_claim, settings):
    response = case.call_and_validate(
        headers=_headers(manager_user, make_claim, settings), excluded_checks=EXCLUDED
    )
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400:
        body = json.loads(response.content)
        assert {"code", "message", "details"} <= set(body["error"]), body
        assert body["message"] == body["error"]["message"]
