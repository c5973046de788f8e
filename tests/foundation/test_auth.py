import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.roles import ADMIN, AUDITOR, CLIENT, RECONCILER
from audit.models import AuditEvent
from tests.conftest import PASSWORD, expires_in_matches
from tests.foundation.helpers import assert_envelope

pytestmark = pytest.mark.django_db


def _events(action, **filters):
    return AuditEvent.objects.filter(action=action, **filters)


def test_login_success_returns_tokens_and_user(login, make_user, api_client):
    user = make_user(RECONCILER, email="Rita@Example.test", full_name="Rita R")
    response = login("  rita@EXAMPLE.test ".strip().upper())  # case-insensitive email
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access", "refresh", "expires_in", "user"}
    assert body["expires_in"] == 600  # JWT_ACCESS_MINUTES default
    assert expires_in_matches(body["expires_in"], body["access"])
    assert body["user"] == {
        "id": str(user.pk),
        "email": "rita@example.test",
        "full_name": "Rita R",
        "roles": ["reconciler"],
    }
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api_client.get(reverse("me")).json()["email"] == "rita@example.test"
    event = _events("auth.login_succeeded", target_id=str(user.pk)).get()
    assert event.actor_id == user.pk and event.metadata["channel"] == "api"
    assert PASSWORD not in str(event.metadata) and body["refresh"] not in str(event.metadata)
    user.refresh_from_db()
    assert user.last_login is not None


def test_login_failure_is_401_envelope_and_audited_once(login, make_user):
    make_user(CLIENT, email="ana@example.test")
    response = login("ana@example.test", password="wrong-password-1")
    error = assert_envelope(response, 401, "invalid_credentials")
    assert "access" not in response.json()
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert error["message"] == "Invalid email or password."
    failed = _events("auth.login_failed")
    assert failed.count() == 1
    assert failed.get().actor_label == "ana@example.test"
    assert not _events("auth.login_succeeded").exists()


def test_login_unknown_email_same_answer(login):
    assert_envelope(login("nobody@example.test"), 401, "invalid_credentials")


@pytest.mark.parametrize("state", ["inactive", "soft_deleted"])
def test_inactive_or_soft_deleted_user_cannot_log_in(login, make_user, state):
    user = make_user(CLIENT, email="gone@example.test")
    if state == "inactive":
        user.is_active = False
    else:
        user.deleted_at = timezone.now()
    user.save()
    assert_envelope(login("gone@example.test"), 401, "invalid_credentials")


@pytest.mark.parametrize("state", ["inactive", "soft_deleted"])
def test_inactive_or_soft_deleted_user_cannot_refresh_or_use_access(
    api_client, make_user, auth_client, state
):
    user = make_user(CLIENT)
    refresh = RefreshToken.for_user(user)
    client = auth_client(user)
    assert client.get(reverse("me")).status_code == 200
    if state == "inactive":
        user.is_active = False
    else:
        user.deleted_at = timezone.now()
    user.save()
    response = api_client.post(reverse("token_refresh"), {"refresh": str(refresh)}, format="json")
    assert_envelope(response, 401, "no_active_account")
    assert_envelope(client.get(reverse("me")), 401)


def test_refresh_rotates_and_old_refresh_is_refused(api_client, login, make_user):
    user = make_user(CLIENT)
    first = login(user.email).json()
    response = api_client.post(reverse("token_refresh"), {"refresh": first["refresh"]}, format="json")
    assert response.status_code == 200, response.content
    rotated = response.json()
    assert set(rotated) == {"access", "refresh", "expires_in"}
    assert expires_in_matches(rotated["expires_in"], rotated["access"])
    assert rotated["refresh"] != first["refresh"]
    assert _events("auth.token_refreshed", target_id=str(user.pk)).count() == 1

    reuse = api_client.post(reverse("token_refresh"), {"refresh": first["refresh"]}, format="json")
    assert_envelope(reuse, 401, "token_not_valid")
    # the rotated one still works, once
    again = api_client.post(reverse("token_refresh"), {"refresh": rotated["refresh"]}, format="json")
    assert again.status_code == 200
    assert _events("auth.token_refreshed", target_id=str(user.pk)).count() == 2


def test_refresh_with_garbage_or_access_token_refused(api_client, login, make_user):
    tokens = login(make_user(CLIENT).email).json()
    assert_envelope(api_client.post(reverse("token_refresh"), {"refresh": "nope"}, format="json"), 401)
    assert_envelope(
        api_client.post(reverse("token_refresh"), {"refresh": tokens["access"]}, format="json"), 401
    )
    assert_envelope(api_client.post(reverse("token_refresh"), {}, format="json"), 400, "validation_error")


def test_logout_blacklists_refresh(api_client, login, make_user, auth_client):
    user = make_user(CLIENT)
    tokens = login(user.email).json()
    client = auth_client(user)
    response = client.post(reverse("logout"), {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 204
    assert _events("auth.logout", target_id=str(user.pk)).count() == 1
    after = api_client.post(reverse("token_refresh"), {"refresh": tokens["refresh"]}, format="json")
    assert_envelope(after, 401, "token_not_valid")
    # logging out again with the revoked token is a clear 400, not a 500
    assert_envelope(client.post(reverse("logout"), {"refresh": tokens["refresh"]}, format="json"), 400)


def test_logout_requires_auth_and_own_token(api_client, login, make_user, auth_client):
    alice, bob = make_user(CLIENT), make_user(CLIENT)
    alice_tokens = login(alice.email).json()
    assert_envelope(
        api_client.post(reverse("logout"), {"refresh": alice_tokens["refresh"]}, format="json"), 401
    )
    response = auth_client(bob).post(reverse("logout"), {"refresh": alice_tokens["refresh"]}, format="json")
    assert_envelope(response, 403, "permission_denied")
    # Alice's refresh is still valid
    ok = api_client.post(reverse("token_refresh"), {"refresh": alice_tokens["refresh"]}, format="json")
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("role", "has", "lacks"),
    [
        (
            CLIENT,
            {"transactions.add_transaction", "transactions.cancel_transaction"},
            {"transactions.view_all_transactions"},
        ),
        (
            RECONCILER,
            {"transactions.decide_transaction", "transactions.view_all_transactions"},
            {"accounts.add_user"},
        ),
        (
            AUDITOR,
            {"audit.view_auditevent", "transactions.view_all_transactions"},
            {"transactions.decide_transaction"},
        ),
        (ADMIN, {"accounts.add_user", "transactions.reopen_transaction"}, set()),
    ],
)
def test_me_content_per_role(make_user, auth_client, role, has, lacks):
    user = make_user(role, full_name=f"Test {role}", is_staff=role != CLIENT)
    response = auth_client(user).get(reverse("me"))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(user.pk)
    assert body["email"] == user.email
    assert body["full_name"] == f"Test {role}"
    assert body["roles"] == [role]
    assert body["is_staff"] is (role != CLIENT)
    assert has <= set(body["permissions"])
    assert not (lacks & set(body["permissions"]))
    assert body["permissions"] == sorted(body["permissions"])


def test_me_requires_authentication(api_client):
    response = api_client.get(reverse("me"))
    assert_envelope(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_login_rate_limited_per_email_with_retry_after(login, make_user, settings):
    settings.LOGIN_RATE_PER_EMAIL = "3/m"
    settings.LOGIN_RATE_PER_IP = "100/m"
    make_user(CLIENT, email="target@example.test")
    for i in range(3):
        assert login("target@example.test", password=f"wrong-{i}-password").status_code == 401
    limited = login("target@example.test")  # even the right password is refused now
    error = assert_envelope(limited, 429, "rate_limited")
    retry_after = int(limited["Retry-After"])
    assert 1 <= retry_after <= 60
    assert error["details"]["retry_after"] == retry_after
    # another email from the same IP is not affected by the per-email limit
    make_user(CLIENT, email="other@example.test")
    assert login("other@example.test").status_code == 200


def test_login_rate_limited_per_ip(login, make_user, settings):
    settings.LOGIN_RATE_PER_EMAIL = "100/m"
    settings.LOGIN_RATE_PER_IP = "2/m"
    user = make_user(CLIENT)
    assert login(user.email, REMOTE_ADDR="10.0.0.1").status_code == 200
    assert login(user.email, REMOTE_ADDR="10.0.0.1").status_code == 200
    limited = login(user.email, REMOTE_ADDR="10.0.0.1")
    assert_envelope(limited, 429, "rate_limited")
    assert int(limited["Retry-After"]) >= 1
    assert login(user.email, REMOTE_ADDR="10.0.0.2").status_code == 200
