import json

import pytest
from django.contrib.auth import authenticate
from django.test import Client
from django.urls import reverse

from audit import actions
from audit.models import ActorType, AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

SECRET = "Sup3r-secret-pass!"


def _as_text(event) -> str:
    return json.dumps(
        {f.name: str(getattr(event, f.attname)) for f in AuditEvent._meta.concrete_fields}, ensure_ascii=False
    )


def test_failed_login_is_recorded_without_the_password(make_user):
    user = make_user(email="victim@example.test")
    assert authenticate(request=None, email="Victim@Example.test", password=SECRET) is None
    event = AuditEvent.objects.get(action=actions.AUTH_LOGIN_FAILED)
    assert event.actor_type == ActorType.ANONYMOUS
    assert event.actor_id is None
    assert event.actor_label == "victim@example.test"
    assert SECRET not in _as_text(event)
    assert user.email in _as_text(event)


def test_failed_login_for_unknown_email_is_recorded():
    assert authenticate(request=None, username="nobody@example.test", password=SECRET) is None
    event = AuditEvent.objects.get(action=actions.AUTH_LOGIN_FAILED)
    assert event.actor_label == "nobody@example.test"
    assert SECRET not in _as_text(event)


def test_admin_login_success_and_failure_are_recorded(make_user):
    staff = make_user("admin", is_staff=True)
    client = Client()
    url = reverse("admin:login")

    client.post(url, {"username": staff.email, "password": SECRET, "next": "/"}, REMOTE_ADDR="10.9.8.7")
    failed = AuditEvent.objects.get(action=actions.AUTH_LOGIN_FAILED)
    assert failed.actor_label == staff.email
    assert failed.metadata == {"channel": "admin"}
    assert failed.ip == "10.9.8.7"
    assert SECRET not in _as_text(failed)

    response = client.post(url, {"username": staff.email, "password": PASSWORD, "next": "/"})
    assert response.status_code == 302
    ok = AuditEvent.objects.get(action=actions.AUTH_LOGIN_SUCCEEDED)
    assert ok.actor_id == staff.pk
    assert ok.actor_type == ActorType.USER
    assert ok.metadata == {"channel": "admin"}
    assert PASSWORD not in _as_text(ok)


def test_role_grant_is_recorded(make_user, admin_user):
    services = pytest.importorskip("accounts.services", reason="accounts.services not there yet")
    user = make_user(role=None)
    services.user_set_roles(user=user, roles=["auditor"], actor=admin_user)
    event = AuditEvent.objects.filter(action=actions.ACCOUNTS_ROLE_GRANTED).latest("sequence")
    assert event.target_id == str(user.pk)
    assert event.actor_id == admin_user.pk


def test_api_login_failure_is_recorded_once_with_channel_api(make_user, api_client):
    user = make_user(email="api-user@example.test")
    response = api_client.post(
        "/api/v1/auth/token/", {"email": user.email, "password": SECRET}, format="json"
    )
    assert response.status_code in (400, 401)
    events = list(AuditEvent.objects.filter(action=actions.AUTH_LOGIN_FAILED))
    assert len(events) == 1
    assert events[0].actor_label == user.email
    assert events[0].metadata == {"channel": "api"}
    assert events[0].request_id  # bound by the request middleware
    assert SECRET not in _as_text(events[0])
