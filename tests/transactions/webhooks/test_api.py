"""`/api/v1/webhooks/endpoints/`: secret shown once, owner-only, audited, secrets never logged."""

import logging

import pytest

from audit.models import AuditEvent
from transactions.webhooks import worker
from transactions.webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db
BASE = "/api/v1/webhooks/endpoints/"


@pytest.fixture
def api(auth_client, client_user):
    return auth_client(client_user)


def _create(api, url, **extra):
    response = api.post(BASE, {"url": url, **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_create_shows_the_secret_once(api, receiver):
    body = _create(api, receiver.url, events=["claim.created"], description="portal")
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["claim.created"] and body["url"] == receiver.url
    detail = api.get(f"{BASE}{body['id']}/").json()
    listing = api.get(BASE).json()
    assert "secret" not in detail and detail["id"] == body["id"]
    assert listing["total"] == 1 and "secret" not in listing["items"][0]
    assert body["secret"] not in str(detail) + str(listing)


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"url": "http://127.0.0.1:9/x", "events": ["claim.deleted"]}, "events"),
        ({"url": "not a url"}, "url"),
        ({"url": "http://127.0.0.1:9/x", "secret": "mine"}, "secret"),
    ],
)
def test_create_validation(api, payload, field):
    response = api.post(BASE, payload, format="json")
    assert response.status_code == 400
    assert field in str(response.json()["error"]["details"])


def test_a_client_cannot_see_or_change_anothers_endpoints(api, auth_client, make_user, receiver):
    mine = _create(api, receiver.url)
    other = auth_client(make_user())
    assert other.get(BASE).json()["total"] == 0
    for method, path in [
        ("get", f"{BASE}{mine['id']}/"),
        ("delete", f"{BASE}{mine['id']}/"),
        ("post", f"{BASE}{mine['id']}/rotate-secret/"),
        ("post", f"{BASE}{mine['id']}/ping/"),
        ("get", f"{BASE}{mine['id']}/deliveries/"),
    ]:
        response = getattr(other, method)(path)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "not_found"
    endpoint = WebhookEndpoint.objects.get(pk=mine["id"])
    assert endpoint.is_active and not endpoint.previous_secret and not endpoint.deliveries.exists()


def test_anonymous_is_401(api_client):
    assert api_client.get(BASE).status_code == 401


def test_delete_deactivates_and_is_audited(api, receiver, make_claim):
    body = _create(api, receiver.url)
    assert api.delete(f"{BASE}{body['id']}/").status_code == 204
    detail = api.get(f"{BASE}{body['id']}/").json()
    assert detail["is_active"] is False
    make_claim()
    worker.deliver_due()
    assert receiver.requests == []
    actions = list(
        AuditEvent.objects.filter(target_id=body["id"]).order_by("sequence").values_list("action", flat=True)
    )
    assert actions == ["webhook.endpoint_created", "webhook.endpoint_deactivated"]


def test_rotate_returns_a_new_secret_and_keeps_the_old_for_24h(api, receiver):
    body = _create(api, receiver.url)
    rotated = api.post(f"{BASE}{body['id']}/rotate-secret/").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != body["secret"]
    assert rotated["previous_secret_expires_at"]
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert endpoint.previous_secret == body["secret"]
    hours = (endpoint.previous_secret_expires_at - endpoint.updated_at).total_seconds() / 3600
    assert 23.99 < hours <= 24.01
    event = AuditEvent.objects.get(action="webhook.secret_rotated", target_id=body["id"])
    stored = str([event.before, event.after, event.metadata, event.reason])
    assert body["secret"] not in stored and rotated["secret"] not in stored


def test_ping_and_deliveries_paginated(api, receiver):
    body = _create(api, receiver.url)
    receiver.script = ["500"]
    for _ in range(3):
        assert api.post(f"{BASE}{body['id']}/ping/").status_code == 202
    worker.deliver_due()
    page = api.get(f"{BASE}{body['id']}/deliveries/?size=2").json()
    assert page["total"] == 3 and page["pages"] == 2 and len(page["items"]) == 2
    everything = page["items"] + api.get(f"{BASE}{body['id']}/deliveries/?size=2&page=2").json()["items"]
    failed = [d for d in everything if d["status"] == "PENDING"]
    assert len(failed) == 1
    (retrying,) = failed
    assert retrying["last_status_code"] == 500 and retrying["attempts"] == 1
    assert retrying["next_attempt_at"] and retrying["last_duration_ms"] is not None
    assert retrying["payload"]["type"] == "ping" and retrying["event_id"] == retrying["payload"]["id"]
    assert {d["status"] for d in everything} == {"PENDING", "DELIVERED"}


def test_ping_an_inactive_endpoint_is_409(api, receiver):
    body = _create(api, receiver.url)
    api.delete(f"{BASE}{body['id']}/")
    response = api.post(f"{BASE}{body['id']}/ping/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "endpoint_inactive"


def test_secrets_never_logged(api, receiver, make_claim, caplog):
    caplog.set_level(logging.DEBUG)
    body = _create(api, receiver.url)
    rotated = api.post(f"{BASE}{body['id']}/rotate-secret/").json()
    make_claim()
    receiver.script = ["500"]
    worker.deliver_due()
    worker.deliver_due()
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert "webhook.attempt" in logged  # the delivery was logged...
    assert body["secret"] not in logged and rotated["secret"] not in logged  # ...without secrets
    assert body["secret"].removeprefix("whsec_") not in logged


def test_schema_documents_endpoints_and_event_payloads(api):
    schema = api.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in [
        "/api/v1/webhooks/endpoints/",
        "/api/v1/webhooks/endpoints/{id}/",
        "/api/v1/webhooks/endpoints/{id}/rotate-secret/",
        "/api/v1/webhooks/endpoints/{id}/ping/",
        "/api/v1/webhooks/endpoints/{id}/deliveries/",
    ]:
        assert path in paths, path
    components = schema["components"]["schemas"]
    assert {"ClaimEvent", "PingEvent", "WebhookEvent"} <= set(components)
    claim_event = components["ClaimEvent"]["properties"]
    assert {"id", "type", "created_at", "sequence", "data", "change"} <= set(claim_event)
    assert claim_event["data"]["allOf"][0]["$ref"].endswith("/ClaimOutput")
