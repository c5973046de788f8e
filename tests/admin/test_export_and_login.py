"""CSV export (streaming, formula-safe, audited) and the rate-limited admin login."""

import csv
import io
import uuid

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from transactions import admin_site as site_admin

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:transactions_transaction_changelist"


def _csv(response):
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_export_selected_is_streaming_and_formula_safe(auditor_user, make_claim, login):
    evil = make_claim(customer_full_name='=HYPERLINK("http://x","y")', concept="+cmd|' /C calc'!A0")
    make_claim()
    response = login(auditor_user).post(
        reverse(CHANGELIST),
        {"action": "export_selected_csv", "index": "0", ACTION_CHECKBOX_NAME: [str(evil.pk)]},
    )
    rows = _csv(response)
    header, data = rows[0], rows[1:]
    assert len(data) == 1
    record = dict(zip(header, data[0], strict=True))
    assert record["transaction_id"] == evil.transaction_id
    assert record["customer_full_name"].startswith("'=")
    assert record["concept"].startswith("'+")
    assert record["payer_bank_name"] == "Banco de Venezuela"
    event = AuditEvent.objects.filter(action="admin.action").get()
    assert event.metadata["action"] == "export_csv" and event.metadata["scope"] == "selected"


def test_export_current_filter(reconciler_user, make_claim, login):
    a = make_claim(payer_bank_code="0105")
    make_claim(payer_bank_code="0102")
    make_claim(payer_bank_code="0105", status="COMPLETED")
    c = login(reconciler_user)
    listing = c.get(reverse(CHANGELIST), {"status__exact": "TO_REVIEW", "payer_bank": "0105"})
    export_url = listing.context["export_url"]
    assert "payer_bank=0105" in export_url
    rows = _csv(c.get(export_url))
    assert [r[0] for r in rows[1:]] == [a.transaction_id]


def test_client_cannot_export(client_user, make_claim, login):
    make_claim()
    response = login(client_user).get(reverse("admin:transactions_transaction_export"))
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="admin.action").exists()


def _attempt(client, email, password="wrong-password-1"):
    return client.post(reverse("admin:login"), {"username": email, "password": password})


def test_login_locks_out_after_repeated_failures(reconciler_user, settings):
    settings.ADMIN_LOGIN_RATE_PER_EMAIL = "3/15m"
    settings.ADMIN_LOGIN_RATE_PER_IP = "100/15m"
    ip = f"10.77.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    c = Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")
    email = reconciler_user.email
    assert _attempt(c, email).status_code == 200
    assert _attempt(c, email).status_code == 200
    locked = _attempt(c, email)
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "Too many failed logins" in locked.content.decode()
    # Even the right password is refused while locked.
    from tests.conftest import PASSWORD

    again = _attempt(c, email, PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in c.session
    events = list(AuditEvent.objects.filter(action="auth.login_locked_out"))
    assert len(events) == 1  # once per key and window, not per blocked attempt
    assert events[0].actor_type == "ANONYMOUS"
    assert events[0].actor_label == email
    assert events[0].metadata["scope"] == "email"


def test_lockout_per_ip_covers_many_emails(settings, db):
    settings.ADMIN_LOGIN_RATE_PER_EMAIL = "100/15m"
    settings.ADMIN_LOGIN_RATE_PER_IP = "4/15m"
    ip = f"10.78.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    c = Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")
    statuses = [_attempt(c, f"nobody{i}-{uuid.uuid4().hex[:6]}@example.test").status_code for i in range(5)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    assert AuditEvent.objects.filter(action="auth.login_locked_out", metadata__scope="ip").count() == 1


def test_successful_logins_do_not_count(reconciler_user, settings):
    from tests.conftest import PASSWORD

    settings.ADMIN_LOGIN_RATE_PER_EMAIL = "2/15m"
    ip = f"10.79.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    for _ in range(4):
        c = Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")
        response = _attempt(c, reconciler_user.email, PASSWORD)
        assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="auth.login_locked_out").exists()


def test_non_staff_client_cannot_log_into_the_admin(client_user):
    from tests.conftest import PASSWORD

    c = Client(REMOTE_ADDR="10.80.0.1", HTTP_ACCEPT_LANGUAGE="en")
    response = _attempt(c, client_user.email, PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in c.session


def test_site_is_the_project_site():
    from django.contrib import admin

    assert isinstance(admin.site, site_admin.AreaMedicaAdminSite)
    assert admin.site.site_header == "Área Médica — Conciliación"
