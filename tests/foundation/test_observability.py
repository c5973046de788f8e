"""Request ids, structured logs (no secrets, PII masked), metrics, health and readiness."""

import io
import json
import logging
import re

import pytest
import structlog
from django.db import connections
from django.test import Client
from django.urls import reverse

from accounts.roles import CLIENT
from tests.foundation.helpers import assert_envelope

HEX32 = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def log_lines():
    """Capture every rendered log line as JSON, through the project's real processor chain."""
    root = logging.getLogger()
    real = root.handlers[0].formatter
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
            foreign_pre_chain=real.foreign_pre_chain,
        )
    )
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    lines = []

    def read():
        lines[:] = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
        return lines, stream.getvalue()

    yield read
    root.removeHandler(handler)
    root.setLevel(old_level)


# --- request id ------------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["abc-123_X.y", "a" * 128, "7f9c2ba4e88f827d616045507605853e"])
def test_sane_request_id_is_echoed(given):
    response = Client().get(reverse("health"), HTTP_X_REQUEST_ID=given)
    assert response["X-Request-ID"] == given


@pytest.mark.parametrize("given", [None, "", "has space", "a" * 129, "semi;colon", "ñandú", "x\ny"])
def test_insane_or_missing_request_id_is_generated(given):
    extra = {} if given is None else {"HTTP_X_REQUEST_ID": given}
    response = Client().get(reverse("health"), **extra)
    assert HEX32.match(response["X-Request-ID"]), response["X-Request-ID"]
    assert response["X-Request-ID"] != given


@pytest.mark.django_db
def test_request_id_on_errors_and_distinct_per_request(api_client):
    a = api_client.get("/api/v1/nowhere/")
    b = api_client.get(reverse("me"))
    assert a.status_code == 404 and b.status_code == 401
    assert HEX32.match(a["X-Request-ID"]) and HEX32.match(b["X-Request-ID"])
    assert a["X-Request-ID"] != b["X-Request-ID"]


@pytest.mark.django_db
def test_request_id_reaches_the_audit_trail(api_client, make_user):
    from audit.models import AuditEvent

    user = make_user(CLIENT)
    response = api_client.post(
        reverse("token_obtain"),
        {"email": user.email, "password": "Test-pass-123!"},
        format="json",
        HTTP_X_REQUEST_ID="trace-42",
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="auth.login_succeeded", target_id=str(user.pk))
    assert event.request_id == "trace-42"
    assert event.ip == "10.1.2.3"


# --- logs ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_access_log_line_has_the_fields_and_no_secrets(api_client, make_user, log_lines):
    secret_password = "Very-Secret-Passw0rd-991"
    user = make_user(CLIENT, password=secret_password)
    response = api_client.post(
        reverse("token_obtain"), {"email": user.email, "password": secret_password}, format="json"
    )
    tokens = response.json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    me = api_client.get(reverse("me"), HTTP_X_REQUEST_ID="req-me-1")
    assert me.status_code == 200

    lines, raw = log_lines()
    assert secret_password not in raw
    assert tokens["access"] not in raw and tokens["refresh"] not in raw
    requests_logged = [line for line in lines if line.get("event") == "request"]
    me_line = next(line for line in requests_logged if line["request_id"] == "req-me-1")
    assert me_line["user_id"] == str(user.pk)
    assert me_line["method"] == "GET"
    assert me_line["route"] == "/api/v1/auth/me/"
    assert me_line["status"] == 200
    assert isinstance(me_line["duration_ms"], (int, float)) and me_line["duration_ms"] >= 0
    login_line = next(line for line in requests_logged if line["route"] == "/api/v1/auth/token/")
    assert login_line["status"] == 200 and login_line["user_id"] is None


def test_log_processor_redacts_secrets_and_masks_pii(log_lines):
    log = structlog.get_logger("tests.foundation")
    log.warning(
        "claim_received",
        customer_phone="04141234567",
        note="llamar al +58 414-765-4321, cédula V-12.345.678",
        password="hunter2-hunter2",
        authorization="Bearer eyJhbGciOi.secret.token",
        client_secret="banesco-client-secret",
        nested={"refresh_token": "eyJ.refresh", "national_id": "V12345678"},
    )
    logging.getLogger("tests.stdlib").warning("stdlib line with phone 04241112233")
    lines, raw = log_lines()
    for leaked in (
        "04141234567",
        "765-4321",
        "12.345.678",
        "12345678",
        "hunter2",
        "eyJhbGciOi",
        "banesco-client-secret",
        "eyJ.refresh",
        "04241112233",
    ):
        assert leaked not in raw, leaked
    line = next(line for line in lines if line.get("event") == "claim_received")
    assert line["customer_phone"] == "0414*****67"
    assert line["password"] == "[REDACTED]" and line["authorization"] == "[REDACTED]"
    assert line["nested"]["national_id"] == "V*****678"
    assert "0424*****33" in raw


@pytest.mark.parametrize(
    "value",
    [
        "e5383ccddeea407ba330202cacab05f8",
        "e1234567-89ab-4cde-8f01-234567890abc",
        "v2.3.4",
        "sha256:0414123456",
    ],
)
def test_ids_and_hashes_are_not_mistaken_for_pii(value):
    from config.logging import mask_pii

    assert mask_pii(value) == value


# --- metrics ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_exposes_request_counts_and_latency_by_route(api_client):
    api_client.get(reverse("ready"))
    api_client.get(reverse("me"))
    response = Client().get(reverse("metrics"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert re.search(r'http_requests_total\{method="GET",route="/ready/",status="200"\} \d', text)
    assert re.search(r'http_requests_total\{method="GET",route="/api/v1/auth/me/",status="401"\} \d', text)
    assert 'http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/ready/",status="200"}' in text


def test_metrics_token_when_configured(settings):
    settings.METRICS_TOKEN = "metrics-token-123"
    assert_envelope(Client().get(reverse("metrics")), 401, "not_authenticated")
    assert Client().get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    ok = Client().get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer metrics-token-123")
    assert ok.status_code == 200


def test_unmatched_routes_do_not_explode_metric_labels():
    for i in range(3):
        Client().get(f"/random-{i}/path")
    text = Client().get(reverse("metrics")).content.decode()
    assert "random-1" not in text
    assert 'route="<unmatched>"' in text


# --- health / ready --------------------------------------------------------------------------


def test_health_needs_no_database():
    # no django_db mark: any database access would raise here
    response = Client().get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_answers_probes_by_ip_before_host_validation():
    response = Client().get("/health/", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert Client().get("/ready/", HTTP_HOST="evil.example").status_code == 400  # others are validated


@pytest.mark.django_db
def test_ready_ok():
    response = Client().get(reverse("ready"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


@pytest.fixture
def broken_database(django_db_blocker):
    """Point the real `default` connection at a closed port (no mocks), then restore it."""
    with django_db_blocker.unblock():
        conn = connections["default"]
        conn.close()
        saved = dict(conn.settings_dict)
        conn.settings_dict.update({"HOST": "127.0.0.1", "PORT": "1"})
        try:
            yield conn
        finally:
            conn.close()
            conn.settings_dict.clear()
            conn.settings_dict.update(saved)


def test_ready_is_503_naming_the_database_when_unreachable(broken_database):
    response = Client().get(reverse("ready"))
    error = assert_envelope(response, 503, "not_ready")
    assert error["details"]["failed"] == ["database"]
    assert error["details"]["checks"]["cache"] == "ok"
    assert error["details"]["checks"]["database"].startswith("failed: OperationalError")
    assert "database" in error["message"]


def test_api_is_503_database_unavailable_when_db_down(broken_database, make_user_token):
    response = Client().get(reverse("me"), HTTP_AUTHORIZATION=f"Bearer {make_user_token}")
    assert_envelope(response, 503, "database_unavailable")


def test_ready_is_503_naming_the_cache_when_broken(settings, db):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
    }
    # (pytest-django's settings fixture resets Django's cache handlers on CACHES changes)
    response = Client().get(reverse("ready"))
    error = assert_envelope(response, 503, "not_ready")
    assert error["details"]["failed"] == ["cache"]


@pytest.fixture
def make_user_token():
    """A syntactically valid access token for a user id that the (broken) database must look up."""
    import uuid

    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken()
    token["user_id"] = str(uuid.uuid4())
    return str(token)
