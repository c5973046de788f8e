"""Per-attempt delivery history: one row per POST, written with the delivery's new state, shown in
the API (bounded, no N+1) and in the admin. Against the real local receiver."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.transactions.webhooks.receiver import Receiver, start
from transactions.webhooks import selectors, services, worker
from transactions.webhooks.models import (
    AttemptOutcome,
    DeliveryStatus,
    WebhookDelivery,
    WebhookDeliveryAttempt,
)

pytestmark = pytest.mark.django_db
BASE = "/api/v1/webhooks/endpoints/"


def _make_due():
    WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=timezone.now())


def _attempts(delivery):
    return list(WebhookDeliveryAttempt.objects.filter(delivery=delivery).order_by("number"))


def test_500_then_200_records_two_attempts_with_codes_durations_and_errors(
    endpoint, receiver, make_claim, auth_client, client_user
):
    ep, secret = endpoint
    receiver.script = ["500"]
    receiver.delay_seconds = 0.05
    make_claim()
    before = timezone.now()
    assert worker.deliver_due() == 1
    (delivery,) = WebhookDelivery.objects.all()
    retry_at = delivery.next_attempt_at
    _make_due()
    assert worker.deliver_due() == 1
    after = timezone.now()

    first, second = _attempts(delivery)
    assert (first.number, first.status_code, first.outcome) == (1, 500, AttemptOutcome.RETRY)
    assert first.error.startswith("HTTP 500") and first.next_attempt_at == retry_at
    assert (second.number, second.status_code, second.outcome) == (2, 204, AttemptOutcome.DELIVERED)
    assert second.error == "" and second.next_attempt_at is None
    for attempt in (first, second):
        assert attempt.duration_ms >= 50  # the receiver took 50 ms to answer
        assert before <= attempt.started_at <= after
    assert first.started_at < second.started_at
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2

    body = auth_client(client_user).get(f"{BASE}{ep.pk}/deliveries/").json()
    (item,) = body["items"]
    history = item["attempt_history"]
    assert [a["number"] for a in history] == [2, 1]  # newest first
    assert [a["status_code"] for a in history] == [204, 500]
    assert [a["outcome"] for a in history] == ["DELIVERED", "RETRY"]
    assert history[1]["error"].startswith("HTTP 500") and history[1]["next_attempt_at"]
    assert all(a["duration_ms"] >= 50 and a["started_at"] for a in history)
    assert secret not in str(body) and secret.removeprefix("whsec_") not in str(body)


def test_a_timeout_attempt_has_no_status_code(endpoint, receiver, make_claim):
    receiver.script = ["timeout"]
    receiver.hang_seconds = 1.5  # > READ_TIMEOUT (0.5 s)
    make_claim()
    assert worker.deliver_due() == 1
    (attempt,) = WebhookDeliveryAttempt.objects.all()
    assert attempt.status_code is None and attempt.error == "timeout"
    assert attempt.outcome == AttemptOutcome.RETRY and attempt.next_attempt_at is not None
    assert 450 <= attempt.duration_ms < 1500  # the read timeout, not the receiver's hang


def test_giving_up_is_a_failed_attempt(endpoint, receiver, make_claim, settings):
    settings.WEBHOOKS = {**settings.WEBHOOKS, "RETRY_FOR_SECONDS": 0}
    receiver.script = ["close"]
    make_claim()
    worker.deliver_due()
    (attempt,) = WebhookDeliveryAttempt.objects.all()
    assert attempt.outcome == AttemptOutcome.FAILED and attempt.next_attempt_at is None
    assert attempt.error.startswith("connection") and attempt.status_code is None


def test_no_attempt_is_recorded_when_the_lease_was_lost(endpoint, receiver, make_claim):
    make_claim()
    (leased,) = services.delivery_lease()
    result = services.delivery_send(leased)
    WebhookDelivery.objects.filter(pk=leased.pk).update(lease_token=None)  # expired, taken over
    assert services.delivery_record(delivery=leased, result=result) is None
    assert not WebhookDeliveryAttempt.objects.exists()  # the history follows the delivery's state


def test_a_client_sees_only_its_own_endpoints_attempts(auth_client, client_user, make_user, make_claim):
    mine_receiver, theirs_receiver = start(Receiver(script=["500"])), start(Receiver(script=["500"]))
    try:
        other = make_user()
        mine, _ = services.endpoint_create(owner=client_user, url=mine_receiver.url)
        theirs, _ = services.endpoint_create(owner=other, url=theirs_receiver.url)
        make_claim()
        make_claim(owner=other)
        assert worker.deliver_due() == 2
    finally:
        for r in (mine_receiver, theirs_receiver):
            r.server.shutdown()
            r.server.server_close()
    api = auth_client(client_user)
    (item,) = api.get(f"{BASE}{mine.pk}/deliveries/").json()["items"]
    mine_delivery = WebhookDelivery.objects.get(endpoint=mine)
    assert item["id"] == mine_delivery.pk and len(item["attempt_history"]) == 1
    response = api.get(f"{BASE}{theirs.pk}/deliveries/")
    assert response.status_code == 404 and theirs.deliveries.get().attempt_history.count() == 1


def _deliveries_queries(api, endpoint_id) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"{BASE}{endpoint_id}/deliveries/?size=50")
    assert response.status_code == 200
    return len(queries), response.json()


def test_deliveries_page_query_count_does_not_grow_with_deliveries_or_attempts(
    auth_client, client_user, endpoint, receiver
):
    ep, _ = endpoint
    api = auth_client(client_user)
    services.endpoint_ping(endpoint=ep)
    receiver.script = ["500"]
    worker.deliver_due()
    _deliveries_queries(api, ep.pk)  # warm-up: first-request caches are not the page's cost
    one, body = _deliveries_queries(api, ep.pk)
    assert len(body["items"]) == 1

    receiver.script = ["500"] * 6
    for _ in range(6):
        services.endpoint_ping(endpoint=ep)
    worker.deliver_due()
    _make_due()
    worker.deliver_due()
    seven, body = _deliveries_queries(api, ep.pk)
    assert len(body["items"]) == 7
    assert sum(len(d["attempt_history"]) for d in body["items"]) == 7 * 2  # each: a 500, then a 204
    assert seven == one
    # user, endpoint, count, page, attempts (one query for the whole page)
    assert one <= 5


def test_each_delivery_shows_a_bounded_number_of_attempts(
    auth_client, client_user, endpoint, receiver, monkeypatch
):
    ep, _ = endpoint
    monkeypatch.setattr(selectors, "ATTEMPTS_SHOWN", 2)
    receiver.script = ["500", "500", "500"]
    services.endpoint_ping(endpoint=ep)
    for _ in range(3):
        worker.deliver_due()
        _make_due()
    (item,) = auth_client(client_user).get(f"{BASE}{ep.pk}/deliveries/").json()["items"]
    assert item["attempts"] == 3
    assert [a["number"] for a in item["attempt_history"]] == [3, 2]


def test_admin_shows_the_attempts_read_only_on_the_delivery(admin_user, endpoint, receiver, make_claim):
    receiver.script = ["500"]
    claim = make_claim()
    worker.deliver_due()
    delivery = WebhookDelivery.objects.get()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin_user)
    page = client.get(reverse("admin:transactions_webhookdelivery_change", args=[delivery.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Webhook delivery attempts" in html and "HTTP 500" in html and "Retry scheduled" in html
    assert 'name="attempt_history-0-error"' not in html  # read-only: no form fields
    found = client.get(reverse("admin:transactions_webhookdelivery_changelist"), {"q": claim.transaction_id})
    assert str(delivery.pk) in found.content.decode()
