"""Outbox and delivery against a real local HTTP receiver (no mocks of the delivery path)."""

import datetime as dt
import time

import pytest
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from tests.transactions.webhooks.receiver import verify
from transactions import services as claim_services
from transactions.models import Status
from transactions.webhooks import selectors, services, worker
from transactions.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent

pytestmark = pytest.mark.django_db


def _deliveries():
    return list(WebhookDelivery.objects.select_related("event").order_by("id"))


def _make_due():
    """Time travel: every pending delivery is due now (instead of waiting out its back-off)."""
    WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=timezone.now())


def test_created_and_status_changed_are_delivered_signed_with_the_claim_representation(
    endpoint, receiver, make_claim, reconciler_user
):
    _, secret = endpoint
    claim = make_claim(status=Status.TO_REVIEW)
    claim_services.claim_approve(
        claim=claim, actor=reconciler_user, reason="Checked with the bank statement."
    )

    assert worker.deliver_due() == 2
    first, second = receiver.delivered()
    assert all(verify(secret, r.headers, r.body) for r in (first, second))
    assert not verify(services.signing.generate_secret(), first.headers, first.body)
    created, changed = first.event, second.event
    assert created["type"] == "claim.created" and created["sequence"] == 1
    assert created["data"]["transaction_id"] == claim.transaction_id
    assert created["data"]["status"] == "IN_PROGRESS"  # the claim as it was at that moment
    assert changed["type"] == "claim.status_changed" and changed["sequence"] == 2
    assert changed["data"]["status"] == "COMPLETED"
    assert changed["change"] == {
        "from_status": "TO_REVIEW",
        "to_status": "COMPLETED",
        "reason": "Checked with the bank statement.",
        "actor_kind": "USER",
    }
    assert first.headers["Webhook-Id"] == created["id"] and created["id"].startswith("evt_")
    assert first.headers["Content-Type"] == "application/json"
    assert {d.status for d in _deliveries()} == {DeliveryStatus.DELIVERED}


def test_payload_is_the_api_output_serializer(endpoint, make_claim, auth_client, client_user):
    claim = make_claim()
    api = auth_client(client_user).get(f"/api/v1/transactions/{claim.transaction_id}/").json()
    event = WebhookEvent.objects.get(claim=claim)
    assert event.payload["data"] == api


def test_a_rolled_back_change_emits_nothing(endpoint, receiver, make_claim, reconciler_user):
    claim = make_claim(status=Status.TO_REVIEW)
    before = WebhookEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        claim_services.claim_approve(claim=claim, actor=reconciler_user, reason="ok")
        assert WebhookEvent.objects.count() == before + 1  # written inside the transaction...
        raise RuntimeError("the surrounding work failed")
    assert WebhookEvent.objects.count() == before  # ...and gone with it
    worker.deliver_due()
    assert [r.event["type"] for r in receiver.delivered()] == ["claim.created"]


def test_no_endpoint_no_event(make_claim):
    make_claim()
    assert not WebhookEvent.objects.exists()


def test_endpoint_event_filter(client_user, receiver, make_claim, reconciler_user):
    services.endpoint_create(owner=client_user, url=receiver.url, events=["claim.status_changed"])
    claim = make_claim(status=Status.TO_REVIEW)
    claim_services.claim_reject(claim=claim, actor=reconciler_user, reason="No such payment.")
    worker.deliver_due()
    assert [r.event["type"] for r in receiver.delivered()] == ["claim.status_changed"]


@pytest.mark.parametrize("failure", ["500", "timeout", "close", "301"])
def test_failures_are_retried_with_backoff_then_delivered_once(
    failure, endpoint, receiver, make_claim, settings
):
    settings.WEBHOOKS = {**settings.WEBHOOKS, "RETRY_BASE_SECONDS": 10.0}
    receiver.script = [failure, failure, failure]
    receiver.hang_seconds = 1.0  # > READ_TIMEOUT (0.5 s)
    make_claim()
    delays = []
    for attempt in (1, 2, 3):
        assert worker.deliver_due() == 1
        (delivery,) = _deliveries()
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == attempt
        assert delivery.last_error.startswith(
            {
                "500": "HTTP 500",
                "301": "HTTP 301: redirect not followed",
                "timeout": "timeout",
                "close": "connection",
            }[failure]
        )
        if failure in ("500", "301"):
            assert delivery.last_status_code == int(failure)
        delays.append((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds())
        assert worker.deliver_due() == 0  # not due again before its back-off
        _make_due()
    # Exponential with jitter: base·2^(n-1) scaled by 50–100 %.
    for n, delay in enumerate(delays, start=1):
        assert 10 * 2 ** (n - 1) * 0.5 <= delay <= 10 * 2 ** (n - 1)
    assert worker.deliver_due() == 1
    (delivery,) = _deliveries()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 4
    _make_due()
    assert worker.deliver_due() == 0  # never delivered twice after a 2xx
    assert len(receiver.delivered()) == 1
    # Nothing followed a redirect: every request the receiver saw was a POST of the same event.
    assert len(receiver.requests) == 4
    assert len({r.headers["Webhook-Id"] for r in receiver.requests}) == 1


def test_retries_stop_after_the_retry_window(endpoint, receiver, make_claim, settings):
    settings.WEBHOOKS = {**settings.WEBHOOKS, "RETRY_FOR_SECONDS": 3600.0}
    receiver.script = ["500"] * 5
    make_claim()
    worker.deliver_due()
    WebhookEvent.objects.update(created_at=timezone.now() - dt.timedelta(hours=2))
    _make_due()
    worker.deliver_due()
    (delivery,) = _deliveries()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 2


def test_an_endpoint_failing_for_three_days_is_disabled_and_flagged(endpoint, receiver, make_claim):
    ep, _ = endpoint
    receiver.script = ["500"] * 5
    make_claim()
    make_claim()
    worker.deliver_due()
    ep.refresh_from_db()
    assert ep.failing_since is not None and ep.is_active
    type(ep).objects.filter(pk=ep.pk).update(failing_since=timezone.now() - dt.timedelta(days=3, minutes=1))
    _make_due()
    worker.deliver_due()
    ep.refresh_from_db()
    assert not ep.is_active and ep.disabled_reason.startswith("failing since")
    assert {d.status for d in _deliveries()} == {DeliveryStatus.FAILED}
    assert AuditEvent.objects.filter(action="webhook.endpoint_disabled", target_id=str(ep.pk)).count() == 1
    assert selectors.failing_endpoint_count() == 1


def test_success_clears_failing_since(endpoint, receiver, make_claim):
    ep, _ = endpoint
    receiver.script = ["500"]
    make_claim()
    worker.deliver_due()
    ep.refresh_from_db()
    assert ep.failing_since is not None
    _make_due()
    worker.deliver_due()
    ep.refresh_from_db()
    assert ep.failing_since is None


def test_worker_killed_between_sending_and_recording_redelivers_same_id(
    endpoint, receiver, make_claim, settings
):
    """At-least-once: the lease expires, another worker sends again; the receiver de-duplicates."""
    settings.WEBHOOKS = {**settings.WEBHOOKS, "LEASE_SECONDS": 0.2}
    make_claim()
    (leased,) = services.delivery_lease()
    result = services.delivery_send(leased)  # ...and the worker dies before delivery_record
    assert result.ok
    assert worker.deliver_due() == 0  # still leased
    time.sleep(0.3)
    assert worker.deliver_due() == 1  # lease expired: sent again
    assert (
        services.delivery_record(delivery=leased, result=result) is None
    )  # the dead worker's late write is ignored
    first, second = receiver.delivered()
    assert first.headers["Webhook-Id"] == second.headers["Webhook-Id"]
    assert receiver.processed_ids == [first.headers["Webhook-Id"]]
    (delivery,) = _deliveries()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1


def test_per_claim_order_a_later_event_waits_for_an_earlier_one(
    endpoint, receiver, make_claim, reconciler_user
):
    receiver.script = ["500"]  # the first claim's created event fails once
    a = make_claim(status=Status.TO_REVIEW)
    claim_services.claim_approve(claim=a, actor=reconciler_user, reason="ok")
    b = make_claim()
    worker.deliver_due()
    got = [(r.event["data"]["transaction_id"], r.event["sequence"], r.behaviour) for r in receiver.requests]
    # a#1 failed, a#2 waits behind it; b goes on.
    assert got == [(a.transaction_id, 1, "500"), (b.transaction_id, 1, "ok")]
    _make_due()
    worker.deliver_due()
    got = [(r.event["data"]["transaction_id"], r.event["sequence"]) for r in receiver.delivered()]
    assert got == [(b.transaction_id, 1), (a.transaction_id, 1), (a.transaction_id, 2)]


def test_the_lease_looks_up_each_candidates_claim_queue_by_index(endpoint, make_claim, reconciler_user):
    """The per-claim order check must stay one index lookup per candidate, whatever the planner
    believes about the table: as a NOT EXISTS it was flattened into an anti-join that, on a table
    never analysed (a fresh deploy, a burst), read the whole index for each candidate (1.5 s per
    lease at 1 400 pending). The plan is read with EXPLAIN on the SQL the lease runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        claim = make_claim(status=Status.TO_REVIEW)
        claim_services.claim_approve(claim=claim, actor=reconciler_user, reason="ok")
    with CaptureQueriesContext(connection) as ctx:
        leased = services.delivery_lease(limit=1)
    assert len(leased) == 1 and leased[0].sequence == 1  # a head of its claim's queue
    (sql,) = [q["sql"] for q in ctx.captured_queries if "SKIP LOCKED" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Anti Join" not in plan and "SubPlan" in plan, plan
    assert "wh_delivery_order_idx" in plan, plan


def test_rotation_signs_with_both_secrets_for_the_overlap(endpoint, receiver, make_claim, client_user):
    ep, old = endpoint
    ep, new = services.endpoint_rotate_secret(endpoint=ep, actor=client_user)
    make_claim()
    worker.deliver_due()
    (got,) = receiver.delivered()
    assert len(got.headers["Webhook-Signature"].split()) == 2
    assert verify(old, got.headers, got.body) and verify(new, got.headers, got.body)
    # After the overlap only the new secret signs.
    type(ep).objects.filter(pk=ep.pk).update(
        previous_secret_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    make_claim()
    worker.deliver_due()
    latest = receiver.delivered()[-1]
    assert verify(new, latest.headers, latest.body) and not verify(old, latest.headers, latest.body)


def test_connection_refused_is_a_failed_attempt(client_user, make_claim, receiver):
    port = receiver.server.server_port
    receiver.server.shutdown()
    receiver.server.server_close()
    services.endpoint_create(owner=client_user, url=f"http://127.0.0.1:{port}/gone")
    make_claim()
    worker.deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_error == "connection failed"


def test_ping(endpoint, receiver):
    ep, secret = endpoint
    services.endpoint_ping(endpoint=ep)
    worker.deliver_due()
    (got,) = receiver.delivered()
    assert verify(secret, got.headers, got.body)
    assert got.event["type"] == "ping" and got.event["data"] == {"endpoint_id": str(ep.pk)}
