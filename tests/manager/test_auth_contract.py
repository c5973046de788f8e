"""/auth/login, /auth/me, /auth/refresh, /auth/logout as the manager UI calls them (auth.ts)."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from tests.conftest import PASSWORD, expires_in_matches

pytestmark = pytest.mark.django_db

TOKEN_KEYS = {"access_token", "refresh_token", "token_type", "expires_in"}  # src/types/auth.ts
USER_KEYS = {  # src/types/user.ts
    "id",
    "email",
    "full_name",
    "phone",
    "national_id",
    "is_active",
    "is_verified",
    "permissions",
    "created_at",
    "updated_at",
}


def test_login_returns_the_token_shape_and_expires_in_matches_the_token(ui, manager_user):
    response = ui.login(manager_user.email.upper())
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == TOKEN_KEYS
    assert body["token_type"] == "bearer"
    # the UI computes accessTokenExpires = now + expires_in * 1000
    assert body["expires_in"] == 600 and expires_in_matches(body["expires_in"], body["access_token"])
    event = AuditEvent.objects.get(action="auth.login_succeeded", target_id=str(manager_user.pk))
    assert event.actor_id == manager_user.pk


def test_login_failure_has_a_top_level_message(ui, manager_user):
    response = ui.login(manager_user.email, password="wrong-password")
    assert response.status_code == 401
    body = response.json()
    assert isinstance(body["message"], str) and body["message"]  # auth.ts: errorData.message
    assert body["error"]["code"] == "invalid_credentials"
    assert body["error"]["message"] == body["message"]
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 1


def test_login_with_a_malformed_body_is_422_with_a_message(ui):
    response = ui.login("not-an-email")
    assert response.status_code == 422
    assert response.json()["message"]
    assert "email" in response.json()["error"]["details"]["fields"]


def test_login_is_rate_limited_by_the_same_counters_as_the_main_api(ui, api_client, manager_user, settings):
    settings.LOGIN_RATE_PER_EMAIL = "3/m"
    settings.LOGIN_RATE_PER_IP = "1000/m"
    for _ in range(2):
        assert ui.login(manager_user.email, password="wrong").status_code == 401
    main = api_client.post(
        reverse("token_obtain"), {"email": manager_user.email, "password": "wrong"}, format="json"
    )
    assert main.status_code == 401  # the third attempt, counted on the same counter
    limited = ui.login(manager_user.email)  # even with the right password
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited" and limited.json()["message"]


def test_login_is_rate_limited_per_ip_like_the_main_api(ui, manager_user, settings):
    settings.LOGIN_RATE_PER_IP = "2/m"
    settings.LOGIN_RATE_PER_EMAIL = "1000/m"
    assert ui.login(manager_user.email).status_code == 200
    assert ui.login("someone@example.test", password="x").status_code == 401
    assert ui.login(manager_user.email).status_code == 429


def test_me_returns_the_user_shape_with_the_manager_permissions(logged_in, manager_user):
    ui = logged_in(manager_user)
    response = ui.me()
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == USER_KEYS
    assert body["id"] == str(manager_user.pk)
    assert body["email"] == manager_user.email and body["full_name"] == "Marta Manager"
    assert body["is_active"] is True and body["is_verified"] is True
    assert body["phone"] is None and body["national_id"] is None
    assert {
        "transactions.add_transaction",
        "transactions.view_all_transactions",
        "transactions.reverify_transaction",
        "transactions.delete_transaction",
    } <= set(body["permissions"])
    assert "transactions.decide_transaction" not in body["permissions"]


def test_me_without_a_token_is_401(ui):
    response = ui.http.get("/api/manager/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["message"] and response["WWW-Authenticate"].startswith("Bearer")


def test_refresh_rotates_through_auth_refresh_and_the_old_token_is_refused(logged_in, manager_user):
    ui = logged_in(manager_user)
    first_refresh = ui.refresh_token
    response = ui.refresh()  # auth.ts refreshAccessToken: {refresh_token}, no Authorization
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == TOKEN_KEYS
    assert body["refresh_token"] != first_refresh
    assert expires_in_matches(body["expires_in"], body["access_token"])
    assert ui.me().status_code == 200  # the new access token works
    reused = ui.refresh(first_refresh)
    assert reused.status_code == 401 and reused.json()["message"]
    assert AuditEvent.objects.filter(action="auth.token_refreshed", actor_id=manager_user.pk).count() == 1


def test_refresh_with_garbage_is_401(ui):
    response = ui.refresh("garbage")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_logout_revokes_the_refresh_token(logged_in, manager_user):
    ui = logged_in(manager_user)
    refresh_token = ui.refresh_token
    response = ui.post("/auth/logout", {"refresh_token": refresh_token})
    assert response.status_code == 204, response.content
    assert ui.refresh(refresh_token).status_code == 401
    assert AuditEvent.objects.filter(action="auth.logout", actor_id=manager_user.pk).count() == 1


def test_logout_of_someone_elses_token_is_refused(logged_in, new_ui, manager_user, make_user):
    other = new_ui()
    assert other.login(make_user("manager").email).status_code == 200
    ui = logged_in(manager_user)
    response = ui.post("/auth/logout", {"refresh_token": other.refresh_token})
    assert response.status_code == 403
    assert other.refresh().status_code == 200  # still valid


def test_trailing_slash_paths_are_not_the_contract(ui, manager_user):
    response = ui.http.post(
        "/api/manager/v1/auth/login/",
        data={"email": manager_user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 404
