"""The webhook admin: read-only, searchable, no secrets, "redeliver", failing count on the dashboard."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from transactions.webhooks import selectors, services, worker
from transactions.webhooks.models import DeliveryStatus, WebhookDelivery

pytestmark = pytest.mark.django_db
DELIVERIES = "admin:transactions_webhookdelivery_changelist"
ENDPOINTS = "admin:transactions_webhookendpoint_changelist"


@pytest.fixture
def admin_client(admin_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin_user)
    return client


def test_endpoints_are_read_only_and_never_show_secrets(admin_client, endpoint, client_user):
    ep, secret = endpoint
    ep, rotated = services.endpoint_rotate_secret(endpoint=ep, actor=client_user)
    listing = admin_client.get(reverse(ENDPOINTS)).content.decode()
    page = admin_client.get(
        reverse("admin:transactions_webhookendpoint_change", args=[ep.pk])
    ).content.decode()
    assert ep.url in listing and ep.url in page
    for value in (secret, rotated, secret.removeprefix("whsec_")):
        assert value not in listing + page
    assert 'name="url"' not in page  # no editable form
    assert admin_client.get(reverse("admin:transactions_webhookendpoint_add")).status_code == 403


def test_deliveries_searchable_by_claim_endpoint_and_event_id(admin_client, endpoint, receiver, make_claim):
    a, b = make_claim(), make_claim()
    worker.deliver_due()
    by_claim = admin_client.get(reverse(DELIVERIES), {"q": a.transaction_id}).content.decode()
    assert a.transaction_id in by_claim and b.transaction_id not in by_claim
    delivery_b = WebhookDelivery.objects.get(event__claim=b)
    event_id = delivery_b.event.public_id
    page = admin_client.get(reverse("admin:transactions_webhookdelivery_change", args=[delivery_b.pk]))
    assert event_id in page.content.decode()  # the payload as sent
    by_event = admin_client.get(reverse(DELIVERIES), {"q": event_id}).content.decode()
    assert b.transaction_id in by_event and a.transaction_id not in by_event
    by_url = admin_client.get(reverse(DELIVERIES), {"q": "127.0.0.1"}).content.decode()
    assert a.transaction_id in by_url and b.transaction_id in by_url
    by_status = admin_client.get(reverse(DELIVERIES), {"status__exact": "FAILED"}).content.decode()
    assert a.transaction_id not in by_status


def test_redeliver_action_sends_the_same_event_again_and_is_audited(
    admin_client, admin_user, endpoint, receiver, make_claim
):
    make_claim()
    worker.deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    response = admin_client.post(
        reverse(DELIVERIES), {"action": "redeliver", ACTION_CHECKBOX_NAME: [str(delivery.pk)]}, follow=True
    )
    assert "1 delivery queued again." in response.content.decode()
    worker.deliver_due()
    first, second = receiver.delivered()
    assert first.headers["Webhook-Id"] == second.headers["Webhook-Id"]
    event = AuditEvent.objects.get(action="webhook.redelivery_requested")
    assert event.actor_id == admin_user.pk and event.before == {"status": "DELIVERED"}


def test_redeliver_needs_the_permission(reconciler_user, endpoint, receiver, make_claim):
    make_claim()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(reconciler_user)
    assert client.get(reverse(DELIVERIES)).status_code == 403  # reconcilers do not see webhooks


def test_dashboard_counts_failing_endpoints(admin_client, endpoint, receiver, make_claim):
    receiver.script = ["500"]
    make_claim()
    assert selectors.failing_endpoint_count() == 0
    worker.deliver_due()
    assert selectors.failing_endpoint_count() == 1
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert 'id="failing-webhooks-link">1</a>' in html
    flagged = admin_client.get(reverse(ENDPOINTS), {"health": "failing"}).content.decode()
    assert "webhook-flag" in flagged
