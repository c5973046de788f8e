"""CORS (django-cors-headers) for the manager UI's browser calls: origins from
CORS_ALLOWED_ORIGINS, only under /api/, preflight answered without authentication."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

UI_ORIGIN = "https://manager.areamedica.example"


def _preflight(path="/api/manager/v1/transactions/bulk-delete", origin=UI_ORIGIN, method="POST"):
    return Client().options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )


@pytest.fixture
def allowed(settings):
    settings.CORS_ALLOWED_ORIGINS = [UI_ORIGIN]


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/manager/v1/transactions/bulk-delete", "POST"),
        ("/api/manager/v1/transactions/3f1c0a4e-0000-4000-8000-000000000000", "DELETE"),
        ("/api/manager/v1/transactions", "GET"),
        ("/api/manager/v1/auth/login", "POST"),
    ],
)
def test_preflight_from_an_allowed_origin_is_answered_without_auth(allowed, path, method):
    response = _preflight(path, method=method)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == UI_ORIGIN
    allowed_headers = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed_headers
    assert method in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response


def test_preflight_from_another_origin_gets_no_cors_headers(allowed):
    response = _preflight(origin="https://evil.example")
    assert "Access-Control-Allow-Origin" not in response


def test_no_origin_is_allowed_by_default(settings):
    assert settings.CORS_ALLOWED_ORIGINS == []
    assert "Access-Control-Allow-Origin" not in _preflight()


def test_only_api_paths_get_cors_headers(allowed):
    assert "Access-Control-Allow-Origin" not in _preflight("/admin/login/", method="POST")
    assert "Access-Control-Allow-Origin" not in _preflight("/health/", method="GET")
    assert _preflight("/api/v1/transactions/", method="GET")["Access-Control-Allow-Origin"] == UI_ORIGIN


def test_actual_request_from_the_ui_origin_carries_the_header(allowed, manager_user):
    import json

    from tests.conftest import PASSWORD

    response = Client().post(
        "/api/manager/v1/auth/login",
        data=json.dumps({"email": manager_user.email, "password": PASSWORD}),
        content_type="application/json",
        HTTP_ORIGIN=UI_ORIGIN,
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == UI_ORIGIN
    assert "x-request-id" in response["Access-Control-Expose-Headers"].lower()
