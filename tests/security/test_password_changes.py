"""Finding 2: every password change or reset goes through accounts.services.user_set_password —
audited, every refresh token revoked, every access token issued before refused at once. Before: an
admin reset left the old access token working and the old refresh token rotating, unaudited."""

import io
import uuid

import pytest
from django.core.management import call_command, get_commands
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services
from audit.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-new-pass-456!"


def _tokens(user):
    api = APIClient(REMOTE_ADDR=f"10.41.{uuid.uuid4().int % 250}.1")
    response = api.post(reverse("token_obtain"), {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return response.json()


def _bearer(access):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return api


def _assert_signed_out(tokens):
    api = _bearer(tokens["access"])
    assert api.get(reverse("me")).status_code == 401  # the old access token, at once
    refreshed = APIClient().post(reverse("token_refresh"), {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 401  # the old refresh token no longer rotates


def test_admin_password_reset_signs_the_user_out_everywhere_and_is_audited(make_user, admin_user):
    user = make_user()
    tokens = _tokens(user)
    api = _bearer(tokens["access"])
    assert api.get(reverse("me")).status_code == 200  # warm the auth cache

    admin = Client()
    admin.force_login(admin_user)
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    response = admin.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )
    assert response.status_code == 302, response.content[:500]

    _assert_signed_out(tokens)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action="accounts.password_changed", target_id=str(user.pk))
    assert event.actor_id == admin_user.pk
    assert event.metadata["channel"] == "admin"
    assert event.metadata["refresh_tokens_revoked"] == 1
    assert NEW_PASSWORD not in str(event.metadata) + str(event.after) + str(event.before)
    # ... and the new password gives working tokens.
    fresh = APIClient().post(
        reverse("token_obtain"), {"email": user.email, "password": NEW_PASSWORD}, format="json"
    )
    assert _bearer(fresh.json()["access"]).get(reverse("me")).status_code == 200


def test_admin_can_disable_password_login_through_the_same_service(make_user, admin_user):
    user = make_user()
    tokens = _tokens(user)
    admin = Client()
    admin.force_login(admin_user)
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    assert admin.post(url, {"usable_password": "false", "unset-password": "1"}).status_code == 302
    _assert_signed_out(tokens)
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert AuditEvent.objects.get(action="accounts.password_changed").metadata["usable"] is False


def test_manage_py_changepassword_is_ours_and_signs_the_user_out(make_user, monkeypatch):
    assert get_commands()["changepassword"] == "accounts"
    user = make_user()
    tokens = _tokens(user)
    from accounts.management.commands import changepassword

    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="": NEW_PASSWORD)
    call_command("changepassword", user.email.upper(), stdout=io.StringIO())
    _assert_signed_out(tokens)
    event = AuditEvent.objects.get(action="accounts.password_changed")
    assert event.actor_type == "SYSTEM" and event.metadata["channel"] == "cli"


def test_the_service_revokes_every_session_of_the_user_only(make_user):
    user, other = make_user(), make_user()
    sessions = [_tokens(user), _tokens(user)]
    others = _tokens(other)
    services.user_set_password(user=user, password=NEW_PASSWORD, actor=None, channel="api")
    for tokens in sessions:
        _assert_signed_out(tokens)
    assert _bearer(others["access"]).get(reverse("me")).status_code == 200
    assert AuditEvent.objects.get(action="accounts.password_changed").metadata["refresh_tokens_revoked"] == 2


def test_another_user_without_change_user_cannot_reset_a_password(make_user):
    from config.errors import PermissionDenied

    user, intruder = make_user(), make_user()
    with pytest.raises(PermissionDenied):
        services.user_set_password(user=user, password=NEW_PASSWORD, actor=intruder, channel="api")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
