import datetime as dt

import pytest
from django.utils import timezone

from audit import actions
from audit.models import AuditEvent
from audit.services import record

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit/events/"


@pytest.fixture
def trail(make_user):
    alice = make_user(email="alice@example.test")
    bob = make_user(email="bob@example.test")
    events = {
        "created": record(
            action=actions.ACCOUNTS_USER_CREATED, actor=alice, target=bob, after={"email": bob.email}
        ),
        "granted": record(
            action=actions.ACCOUNTS_ROLE_GRANTED, actor=alice, target=bob, after={"role": "client"}
        ),
        "login": record(action=actions.AUTH_LOGIN_SUCCEEDED, actor=bob, target=bob),
        "bank": record(action=actions.TRANSACTION_VERIFIED, actor_type="BANK", actor_label="banesco"),
        "failed": record(
            action=actions.AUTH_LOGIN_FAILED, actor_type="ANONYMOUS", actor_label="eve@example.test"
        ),
    }
    return {"alice": alice, "bob": bob, **events}


def seqs(response):
    return [item["sequence"] for item in response.json()["items"]]


def test_anonymous_gets_401(api_client, trail):
    assert api_client.get(URL).status_code == 401


@pytest.mark.parametrize("role", ["client", "reconciler"])
def test_client_and_reconciler_get_403(make_user, auth_client, trail, role):
    response = auth_client(make_user(role, is_staff=role != "client")).get(URL)
    assert response.status_code == 403
    assert auth_client(make_user(role)).get(f"{URL}{trail['login'].sequence}/").status_code == 403


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditor_and_admin_list_newest_first(make_user, auth_client, trail, role):
    response = auth_client(make_user(role)).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "total", "page", "size", "pages"}
    assert body["total"] == AuditEvent.objects.count()
    assert seqs(response) == sorted(seqs(response), reverse=True)
    item = next(i for i in body["items"] if i["sequence"] == trail["granted"].sequence)
    assert item["action"] == "accounts.role_granted"
    assert item["actor_id"] == str(trail["alice"].pk)
    assert item["target_type"] == "accounts.user"
    assert item["target_id"] == str(trail["bob"].pk)
    assert item["after"] == {"role": "client"}
    assert item["hash"] == trail["granted"].hash


def test_filters(auditor_user, auth_client, trail):
    c = auth_client(auditor_user)
    assert seqs(c.get(URL, {"action": "accounts.role_granted"})) == [trail["granted"].sequence]
    assert seqs(c.get(URL, {"action": "accounts.role_granted,auth.login_failed"})) == [
        trail["failed"].sequence,
        trail["granted"].sequence,
    ]
    alice_events = [trail["granted"].sequence, trail["created"].sequence]
    assert seqs(c.get(URL, {"actor": str(trail["alice"].pk)})) == alice_events
    assert seqs(c.get(URL, {"actor": "ALICE@example.test"})) == alice_events
    assert seqs(c.get(URL, {"actor": "eve@example.test"})) == [trail["failed"].sequence]
    assert seqs(c.get(URL, {"actor_type": "BANK"})) == [trail["bank"].sequence]
    bob_events = c.get(URL, {"target_type": "accounts.user", "target_id": str(trail["bob"].pk)})
    assert seqs(bob_events) == [trail["login"].sequence, trail["granted"].sequence, trail["created"].sequence]


def test_time_range_filter(auditor_user, auth_client, trail):
    c = auth_client(auditor_user)
    granted_at = trail["granted"].occurred_at
    after = c.get(
        URL, {"from": granted_at.isoformat(), "action": "accounts.role_granted,accounts.user_created"}
    )
    assert seqs(after) == [trail["granted"].sequence]
    before = c.get(URL, {"to": (trail["created"].occurred_at).isoformat(), "actor": str(trail["alice"].pk)})
    assert seqs(before) == [trail["created"].sequence]
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    assert c.get(URL, {"from": future}).json()["total"] == 0


@pytest.mark.parametrize(
    "params",
    [
        {"actor": "not-a-user"},
        {"target_type": "nope.nothing"},
        {"from": "yesterday"},
        {"actor_type": "ROBOT"},
    ],
)
def test_bad_filters_are_400(auditor_user, auth_client, trail, params):
    response = auth_client(auditor_user).get(URL, params)
    assert response.status_code == 400


def test_pagination(auditor_user, auth_client, trail):
    body = auth_client(auditor_user).get(URL, {"size": 2, "page": 2}).json()
    assert body["size"] == 2 and body["page"] == 2 and len(body["items"]) == 2
    assert body["pages"] == -(-body["total"] // 2)


def test_detail_by_sequence(auditor_user, auth_client, trail):
    c = auth_client(auditor_user)
    response = c.get(f"{URL}{trail['bank'].sequence}/")
    assert response.status_code == 200
    assert response.json()["actor_label"] == "banesco"
    assert c.get(f"{URL}999999/").status_code == 404


def test_api_is_read_only(admin_user, auth_client, trail):
    c = auth_client(admin_user)
    assert c.post(URL, {"action": "admin.action"}, format="json").status_code == 405
    detail = f"{URL}{trail['bank'].sequence}/"
    assert c.delete(detail).status_code == 405
    assert c.patch(detail, {"reason": "x"}, format="json").status_code == 405
