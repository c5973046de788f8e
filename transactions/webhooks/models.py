"""Webhook endpoints, outbox events and deliveries. Models of the `transactions` app (imported by
`transactions.models`, so their migrations live in `transactions/migrations/`).

Only `transactions.webhooks.services` writes these rows.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    CLAIM_CREATED = "claim.created", "claim.created"
    CLAIM_STATUS_CHANGED = "claim.status_changed", "claim.status_changed"
    PING = "ping", "ping"


# The event types an endpoint subscribes to (a ping is sent on request, to that endpoint only).
CLAIM_EVENT_TYPES = [(EventType.CLAIM_CREATED.value,) * 2, (EventType.CLAIM_STATUS_CHANGED.value,) * 2]


# `disabled_reason` of an endpoint its owner deleted (not a failure: not flagged).
DEACTIVATED_BY_OWNER = "deactivated by its owner"


class WebhookEndpoint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="webhook_endpoints",
        verbose_name=_("owner"),
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True, default="")
    # Empty list = every event type.
    events = models.JSONField(_("events"), default=list, blank=True)
    # Standard Webhooks secrets (`whsec_<base64>`): needed in clear to sign, so never logged,
    # never shown after creation/rotation, never in the admin or the audit trail.
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, default="", editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    # Set on the first failed attempt after a success; cleared by a success.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("disabled reason"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="wh_endpoint_owner_idx")]

    def __str__(self):
        return self.url

    def receives(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


class WebhookEvent(models.Model):
    """One outbox event, written in the transaction of the change it announces."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(_("type"), max_length=40, choices=EventType.choices)
    claim = models.ForeignKey(
        "transactions.Transaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="webhook_events",
        verbose_name=_("payment claim"),
    )
    # Per claim, 1, 2, 3... (taken under the claim's row lock); null for `ping`.
    sequence = models.PositiveIntegerField(_("sequence"), null=True, blank=True)
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "sequence"], name="wh_event_claim_sequence_unique"),
        ]

    def __str__(self):
        return f"{self.type} {self.public_id}"

    @property
    def public_id(self) -> str:
        return f"evt_{self.id.hex}"


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    DELIVERED = "DELIVERED", _("Delivered")
    FAILED = "FAILED", _("Failed")


class WebhookDelivery(models.Model):
    """One event for one endpoint: its delivery state and its last attempt."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(
        WebhookEvent, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("event")
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("endpoint")
    )
    # Copies of the event's claim and sequence: the per-claim ordering check reads only this table.
    claim_id = models.UUIDField(null=True, blank=True, editable=False)
    sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Due time; while a worker holds the delivery it is the end of the worker's lease.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(_("last duration (ms)"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True, default="")
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        permissions = [("redeliver_webhookdelivery", "Can queue a webhook delivery again")]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="wh_delivery_event_endpoint_unique"),
        ]
        indexes = [
            # What the worker picks up.
            models.Index(
                fields=["next_attempt_at"], name="wh_delivery_due_idx", condition=Q(status="PENDING")
            ),
            # The per-claim ordering check: an earlier pending delivery of the same claim/endpoint.
            models.Index(
                fields=["endpoint", "claim_id", "sequence"],
                name="wh_delivery_order_idx",
                condition=Q(status="PENDING"),
            ),
            models.Index(fields=["endpoint", "-created_at"], name="wh_delivery_endpoint_idx"),
        ]

    def __str__(self):
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"


class AttemptOutcome(models.TextChoices):
    DELIVERED = "DELIVERED", _("Delivered")
    RETRY = "RETRY", _("Retry scheduled")
    FAILED = "FAILED", _("Failed (gave up)")


class WebhookDeliveryAttempt(models.Model):
    """One POST of a delivery, appended by the worker in the transaction that records the
    delivery's new state (never changed afterwards). `error` holds what `delivery.post` reports
    (status line, the receiver's first bytes, the kind of network failure): never a secret."""

    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(
        WebhookDelivery,
        on_delete=models.PROTECT,
        related_name="attempt_history",
        verbose_name=_("delivery"),
        editable=False,
    )
    number = models.PositiveIntegerField(_("attempt"), editable=False)
    started_at = models.DateTimeField(_("started at"), editable=False)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, editable=False)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), editable=False)
    error = models.CharField(_("error"), max_length=500, blank=True, default="", editable=False)
    outcome = models.CharField(_("outcome"), max_length=10, choices=AttemptOutcome.choices, editable=False)
    # The retry this attempt scheduled (outcome RETRY only).
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, editable=False)

    class Meta:
        verbose_name = _("webhook delivery attempt")
        verbose_name_plural = _("webhook delivery attempts")
        ordering = ["delivery", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="wh_attempt_delivery_number_unique"),
        ]

    def __str__(self):
        return f"{self.delivery_id} #{self.number} ({self.outcome})"
