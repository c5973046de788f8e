"""The one error envelope for every API error, with the right status and headers."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from accounts.roles import CLIENT
from tests.foundation.helpers import assert_envelope

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.foundation.urls")]


def test_400_validation_has_field_details(api_client):
    response = api_client.post(reverse("token_obtain"), {"email": "not-an-email"}, format="json")
    error = assert_envelope(response, 400, "validation_error")
    fields = error["details"]["fields"]
    assert set(fields) == {"email", "password"}
    assert all(isinstance(m, str) for msgs in fields.values() for m in msgs)


def test_400_malformed_json(api_client):
    response = api_client.generic(
        "POST", reverse("token_obtain"), "{not json", content_type="application/json"
    )
    assert_envelope(response, 400, "parse_error")


def test_400_from_django_validation_error(api_client):
    error = assert_envelope(api_client.get("/api/test/django-invalid/"), 400, "validation_error")
    assert error["details"]["fields"] == {"amount": ["Must be positive."]}


def test_413_oversized_body(api_client, settings):
    body = {"email": "a@example.test", "password": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}
    response = api_client.post(reverse("token_obtain"), body, format="json")
    assert_envelope(response, 413, "request_too_large")


def test_400_when_the_database_rejects_a_value(api_client):
    error = assert_envelope(api_client.get("/api/test/data-error/"), 400, "validation_error")
    assert "unsupported" not in str(error)  # no database internals in the answer


def test_401_missing_and_bad_token(api_client):
    response = api_client.get("/api/test/needs-auth/")
    assert_envelope(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    response = api_client.get("/api/test/needs-auth/")
    assert_envelope(response, 401, "token_not_valid")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_403_application_error(api_client):
    assert_envelope(api_client.get("/api/test/forbidden/"), 403, "permission_denied")


def test_404_unknown_api_path_and_drf_not_found(api_client, make_user, auth_client):
    assert_envelope(api_client.get("/api/v1/definitely/not/here/"), 404, "not_found")
    assert_envelope(Client().get("/api/nothing-here"), 404, "not_found")


def test_404_admin_path_stays_html():
    response = Client().get("/no-such-page/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_405_method_not_allowed(api_client, make_user, auth_client):
    response = api_client.get(reverse("token_obtain"))
    error = assert_envelope(response, 405, "method_not_allowed")
    assert "GET" in error["message"]
    response = auth_client(make_user(CLIENT)).delete(reverse("me"))
    assert_envelope(response, 405, "method_not_allowed")
    assert_envelope(api_client.post(reverse("health")), 405, "method_not_allowed")


def test_409_conflict_keeps_details(api_client):
    error = assert_envelope(api_client.get("/api/test/conflict/"), 409, "conflict")
    assert error["message"] == "Already decided."
    assert error["details"] == {"status": "COMPLETED"}


def test_503_service_unavailable_with_retry_after(api_client):
    response = api_client.get("/api/test/unavailable/")
    assert_envelope(response, 503, "bank_unavailable")
    assert response["Retry-After"] == "30"


def test_503_database_errors(api_client):
    response = api_client.get("/api/test/db-down/")
    assert_envelope(response, 503, "database_unavailable")
    assert response["Retry-After"]
    plain = Client().get("/api/test/plain-db-down/")
    assert_envelope(plain, 503, "database_unavailable")


def test_500_unhandled_is_enveloped_without_stack_trace(api_client, caplog):
    with caplog.at_level("ERROR"):
        response = api_client.get("/api/test/boom/")
    error = assert_envelope(response, 500, "internal_error")
    text = response.content.decode()
    assert "Traceback" not in text and "hunter2" not in text and "RuntimeError" not in text
    assert error["details"] == {}
    # ...but it is logged with the stack trace
    logged = [r for r in caplog.records if r.levelname == "ERROR" and "unhandled_exception" in r.getMessage()]
    assert logged, [r.getMessage() for r in caplog.records]


def test_500_plain_django_view_gets_envelope():
    client = Client(raise_request_exception=False)
    response = client.get("/api/test/plain-boom/")
    assert_envelope(response, 500, "internal_error")
    assert b"plain django view failure" not in response.content


def test_every_error_carries_request_id(api_client):
    for url in ("/api/test/boom/", "/api/test/forbidden/", "/api/nowhere/"):
        response = api_client.get(url)
        assert response.status_code >= 400
        assert response["X-Request-ID"]


@method_decorator(ratelimit(key="ip", rate="1/m", block=True), name="get")
class _Limited(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get(self, request):
        return Response({"ok": True})


def test_429_from_django_ratelimit_decorator_on_drf_view(rf):
    """A DRF view using django-ratelimit's decorator gets 429 + Retry-After, not 403."""
    view = _Limited.as_view()
    assert view(rf.get("/api/test/limited/", REMOTE_ADDR="10.9.9.9")).status_code == 200
    second = view(rf.get("/api/test/limited/", REMOTE_ADDR="10.9.9.9")).render()
    assert_envelope(second, 429, "rate_limited")
    assert int(second["Retry-After"]) >= 1


def test_ratelimited_view_for_plain_views(rf):
    from django_ratelimit.exceptions import Ratelimited

    from config.exceptions import ratelimited_view

    response = ratelimited_view(rf.get("/x"), Ratelimited())
    assert_envelope(response, 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1


def test_api_client_never_gets_html_for_errors():
    client = APIClient()
    for url in ("/api/nowhere/", "/api/test/forbidden/", "/api/test/boom/"):
        assert client.get(url)["Content-Type"].startswith("application/json")
