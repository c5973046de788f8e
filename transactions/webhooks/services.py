"""Writes for webhooks: endpoints (each change audited), the outbox hook called by
`transactions.services`, and the worker's lease/record steps.

Outbox: `claim_event_record` runs inside the transaction that creates a claim or changes its status
(under the claim's row lock), so a rolled-back change leaves no event and a committed one cannot
be forgotten. Delivery is at-least-once: a worker leases a due delivery (its `next_attempt_at`
becomes the lease's end), sends it outside any transaction, then records the outcome if it still
holds the lease. A worker that dies in between leaves the lease to expire and the delivery is sent
again with the same `Webhook-Id`.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import actions
from audit import services as audit_services
from audit.models import ActorType
from config.errors import Conflict, NotFound, ValidationFailed
from transactions.api.serializers import ClaimOutputSerializer
from transactions.webhooks import delivery as http_delivery
from transactions.webhooks import signing, urlsafety
from transactions.webhooks.models import (
    CLAIM_EVENT_TYPES,
    DEACTIVATED_BY_OWNER,
    AttemptOutcome,
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
    WebhookEvent,
)

NOTIFY_CHANNEL = "webhook_outbox"
SUBSCRIBABLE_EVENTS = tuple(value for value, _label in CLAIM_EVENT_TYPES)
MAX_ACTIVE_ENDPOINTS_PER_OWNER = 10


def _conf(name: str):
    return settings.WEBHOOKS[name]


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


# --- endpoints --------------------------------------------------------------------------------


def _clean_events(events) -> list[str]:
    events = list(dict.fromkeys(events or []))
    unknown = [e for e in events if e not in SUBSCRIBABLE_EVENTS]
    if unknown:
        raise ValidationFailed(
            _("Unknown event type."),
            details={"fields": {"events": [f"{e!r}" for e in unknown]}},
        )
    return events


def check_endpoint_url(url: str) -> None:
    """Refuse a URL the delivery would refuse (scheme, credentials, non-public address)."""
    try:
        if _conf("ALLOW_PRIVATE_ADDRESSES"):
            urlsafety.parse(url)
        else:
            urlsafety.resolve(url)
    except urlsafety.UnsafeURL as exc:
        raise ValidationFailed(
            _("This URL cannot receive webhooks."), details={"fields": {"url": [str(exc)]}}
        ) from None


def _endpoint_state(endpoint: WebhookEndpoint) -> dict:
    """What the audit trail keeps of an endpoint: never its secrets."""
    return {"url": endpoint.url, "events": endpoint.events, "description": endpoint.description}


def endpoint_create(*, owner, url: str, events=None, description: str = "") -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret (shown to the client this once)."""
    events = _clean_events(events)
    check_endpoint_url(url)
    with transaction.atomic():
        active = WebhookEndpoint.objects.select_for_update().filter(owner=owner, is_active=True)
        if len(active) >= MAX_ACTIVE_ENDPOINTS_PER_OWNER:
            raise Conflict(
                _("Too many active webhook endpoints; delete one first."),
                code="too_many_endpoints",
                details={"max": MAX_ACTIVE_ENDPOINTS_PER_OWNER},
            )
        secret = signing.generate_secret()
        endpoint = WebhookEndpoint.objects.create(
            owner=owner, url=url, events=events, description=description, secret=secret
        )
        audit_services.record(
            action=actions.WEBHOOK_ENDPOINT_CREATED,
            actor=owner,
            target=endpoint,
            after=_endpoint_state(endpoint),
        )
    return endpoint, secret


def _lock_endpoint(endpoint) -> WebhookEndpoint:
    pk = endpoint.pk if isinstance(endpoint, WebhookEndpoint) else endpoint
    try:
        return WebhookEndpoint.objects.select_for_update().get(pk=pk)
    except WebhookEndpoint.DoesNotExist:
        raise NotFound(_("Webhook endpoint not found.")) from None


def _stop_endpoint(endpoint: WebhookEndpoint, *, reason: str) -> int:
    """Deactivate a locked endpoint; its pending deliveries fail. Returns how many failed."""
    now = timezone.now()
    endpoint.is_active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = reason[:200]
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
    return WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, lease_token=None, next_attempt_at=None, last_error=reason[:500]
    )


def endpoint_deactivate(*, endpoint, actor) -> WebhookEndpoint:
    """DELETE: the endpoint stops receiving events (the row and its deliveries are kept)."""
    with transaction.atomic():
        endpoint = _lock_endpoint(endpoint)
        if not endpoint.is_active:
            return endpoint
        dropped = _stop_endpoint(endpoint, reason=DEACTIVATED_BY_OWNER)
        audit_services.record(
            action=actions.WEBHOOK_ENDPOINT_DEACTIVATED,
            actor=actor,
            target=endpoint,
            before={"is_active": True},
            after={"is_active": False},
            metadata={"pending_deliveries_dropped": dropped},
        )
    return endpoint


def endpoint_rotate_secret(*, endpoint, actor) -> tuple[WebhookEndpoint, str]:
    """A new secret; the current one keeps signing alongside it for `ROTATION_OVERLAP_SECONDS`."""
    with transaction.atomic():
        endpoint = _lock_endpoint(endpoint)
        if not endpoint.is_active:
            raise Conflict(_("This webhook endpoint is not active."), code="endpoint_inactive")
        expires = timezone.now() + dt.timedelta(seconds=_conf("ROTATION_OVERLAP_SECONDS"))
        secret = signing.generate_secret()
        endpoint.previous_secret, endpoint.previous_secret_expires_at = endpoint.secret, expires
        endpoint.secret = secret
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
        audit_services.record(
            action=actions.WEBHOOK_SECRET_ROTATED,
            actor=actor,
            target=endpoint,
            metadata={"previous_secret_expires_at": expires},
        )
    return endpoint, secret


def endpoint_ping(*, endpoint) -> WebhookDelivery:
    """Queue a `ping` event for one endpoint (not tied to a claim, so not ordered)."""
    with transaction.atomic():
        endpoint = _lock_endpoint(endpoint)
        if not endpoint.is_active:
            raise Conflict(_("This webhook endpoint is not active."), code="endpoint_inactive")
        event = _event(
            type_=EventType.PING, claim=None, sequence=None, data={"endpoint_id": str(endpoint.pk)}
        )
        (delivery,) = _queue(event, [endpoint])
    return delivery


# --- the outbox -------------------------------------------------------------------------------


def _event(
    *, type_: str, claim, sequence: int | None, data: dict, change: dict | None = None
) -> WebhookEvent:
    event = WebhookEvent(type=type_, claim=claim, sequence=sequence)
    event.payload = {
        "id": event.public_id,
        "type": type_,
        "created_at": _iso(event.created_at),
        "sequence": sequence,
        "data": data,
        **({"change": change} if change is not None else {}),
    }
    event.save(force_insert=True)
    return event


def _queue(event: WebhookEvent, endpoints) -> list[WebhookDelivery]:
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            event=event,
            endpoint=endpoint,
            claim_id=event.claim_id,
            sequence=event.sequence,
            next_attempt_at=event.created_at,
        )
        for endpoint in endpoints
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [NOTIFY_CHANNEL])  # delivered on commit
    return deliveries


def claim_event_record(
    *, claim, from_status: str | None = None, reason: str = "", actor=None, actor_type: str | None = None
) -> WebhookEvent | None:
    """The outbox hook: call inside the transaction (and row lock) of a claim's creation
    (`from_status` None → `claim.created`) or status change (`claim.status_changed`).

    Writes nothing when the claim's owner has no active endpoint for the event type.
    """
    type_ = EventType.CLAIM_CREATED if from_status is None else EventType.CLAIM_STATUS_CHANGED
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(owner_id=claim.created_by_id, is_active=True)
        if e.receives(type_)
    ]
    if not endpoints:
        return None
    last = WebhookEvent.objects.filter(claim=claim).aggregate(last=Max("sequence"))["last"] or 0
    change = None
    if from_status is not None:
        change = {
            "from_status": from_status,
            "to_status": claim.status,
            "reason": reason or "",
            "actor_kind": actor_type or (ActorType.USER if actor is not None else ActorType.SYSTEM),
        }
    event = _event(
        type_=type_, claim=claim, sequence=last + 1, data=ClaimOutputSerializer(claim).data, change=change
    )
    _queue(event, endpoints)
    return event


# --- the worker's steps -----------------------------------------------------------------------


def delivery_lease(*, limit: int = 1, due_before: dt.datetime | None = None) -> list[WebhookDelivery]:
    """Take up to `limit` due deliveries for this worker (SKIP LOCKED: workers never share one).

    Due = pending, `next_attempt_at` passed (or before `due_before`), and no earlier pending
    delivery of the same claim to the same endpoint (per-claim order; other claims go on).
    """
    now = timezone.now()
    due_before = min(due_before or now, now)
    # The head of its claim's queue: its sequence is the lowest pending one of that claim and
    # endpoint. A scalar subquery, run per candidate as one lookup in `wh_delivery_order_idx`;
    # the equivalent NOT EXISTS was flattened into an anti-join that, planned on the statistics of
    # an empty table (a fresh deploy, a burst), scanned the whole index for every candidate:
    # 1.5 s per lease at 1 400 pending deliveries (docs/PERFORMANCE.md, "Webhooks").
    head = (
        WebhookDelivery.objects.filter(
            endpoint_id=OuterRef("endpoint_id"), claim_id=OuterRef("claim_id"), status=DeliveryStatus.PENDING
        )
        .order_by("sequence")
        .values("sequence")[:1]
    )
    token = uuid.uuid4()
    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=due_before)
            .filter(Q(claim_id__isnull=True) | Q(sequence__isnull=True) | Q(sequence=Subquery(head)))
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        lease_until = now + dt.timedelta(seconds=_conf("LEASE_SECONDS"))
        WebhookDelivery.objects.filter(id__in=ids).update(next_attempt_at=lease_until, lease_token=token)
    return list(WebhookDelivery.objects.filter(id__in=ids).select_related("event", "endpoint").order_by("id"))


def retry_delay(attempts: int) -> float:
    """Exponential back-off with jitter: base·2^(n-1), capped, then a random 50–100 % of it."""
    delay = min(_conf("RETRY_MAX_SECONDS"), _conf("RETRY_BASE_SECONDS") * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography


def delivery_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.event.payload, separators=(",", ":"), ensure_ascii=False).encode()


def delivery_send(delivery: WebhookDelivery) -> http_delivery.Result:
    """One signed POST of a leased delivery (no database writes)."""
    body = delivery_body(delivery)
    headers = signing.sign_headers(
        signing.endpoint_secrets(delivery.endpoint), delivery.event.payload["id"], int(time.time()), body
    )
    return http_delivery.post(url=delivery.endpoint.url, body=body, headers=headers)


def delivery_record(*, delivery: WebhookDelivery, result: http_delivery.Result) -> WebhookDelivery | None:
    """Store an attempt's outcome, and append it to the delivery's attempt history, if this
    worker still holds the lease (else None: it expired and another worker took it over)."""
    now = timezone.now()
    with transaction.atomic():
        current = (
            WebhookDelivery.objects.select_for_update()
            .filter(pk=delivery.pk, lease_token=delivery.lease_token, status=DeliveryStatus.PENDING)
            .select_related("event")
            .first()
        )
        if current is None:
            return None
        current.attempts += 1
        current.last_attempt_at, current.last_status_code = now, result.status_code
        current.last_duration_ms, current.last_error = result.duration_ms, result.error[:500]
        current.lease_token = None
        if result.ok:
            current.status, current.delivered_at, current.next_attempt_at = (
                DeliveryStatus.DELIVERED,
                now,
                None,
            )
            outcome = AttemptOutcome.DELIVERED
        elif now - current.event.created_at >= dt.timedelta(seconds=_conf("RETRY_FOR_SECONDS")):
            current.status, current.next_attempt_at = DeliveryStatus.FAILED, None
            outcome = AttemptOutcome.FAILED
        else:
            current.next_attempt_at = now + dt.timedelta(seconds=retry_delay(current.attempts))
            outcome = AttemptOutcome.RETRY
        current.save()
        WebhookDeliveryAttempt.objects.create(
            delivery=current,
            number=current.attempts,
            started_at=result.started_at,
            status_code=result.status_code,
            duration_ms=result.duration_ms,
            error=current.last_error,
            outcome=outcome,
            next_attempt_at=current.next_attempt_at,
        )
        _endpoint_health(endpoint_id=current.endpoint_id, ok=result.ok, now=now)
    return current


def _endpoint_health(*, endpoint_id, ok: bool, now: dt.datetime) -> None:
    if ok:
        WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since__isnull=False).update(failing_since=None)
        return
    WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(failing_since=now)
    limit = now - dt.timedelta(seconds=_conf("DISABLE_AFTER_SECONDS"))
    if WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True, failing_since__lte=limit).exists():
        endpoint = _lock_endpoint(endpoint_id)
        failing_since = endpoint.failing_since
        dropped = _stop_endpoint(endpoint, reason=f"failing since {_iso(failing_since)}")
        audit_services.record(
            action=actions.WEBHOOK_ENDPOINT_DISABLED,
            actor_type=ActorType.SYSTEM,
            target=endpoint,
            before={"is_active": True},
            after={"is_active": False},
            reason=endpoint.disabled_reason,
            metadata={"failing_since": failing_since, "pending_deliveries_dropped": dropped},
        )


def delivery_redeliver(*, deliveries, actor) -> int:
    """Queue deliveries again (admin action): same event and `Webhook-Id`, sent as soon as due.
    Deliveries of inactive endpoints are skipped. One audit event per delivery."""
    count = 0
    with transaction.atomic():
        for item in WebhookDelivery.objects.select_for_update().filter(
            pk__in=[d.pk for d in deliveries], endpoint__is_active=True
        ):
            before = {"status": item.status}
            item.status, item.next_attempt_at, item.lease_token = DeliveryStatus.PENDING, timezone.now(), None
            item.save(update_fields=["status", "next_attempt_at", "lease_token"])
            audit_services.record(
                action=actions.WEBHOOK_REDELIVERY_REQUESTED,
                actor=actor,
                target=item,
                before=before,
                after={"status": item.status},
            )
            count += 1
    return count
