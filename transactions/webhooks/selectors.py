"""Reads for webhooks."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from config.errors import NotFound
from transactions.webhooks.models import (
    DEACTIVATED_BY_OWNER,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
)

# Attempts shown with each delivery in the API, newest first (`attempts` counts them all).
ATTEMPTS_SHOWN = 20


def endpoint_list(*, owner) -> QuerySet[WebhookEndpoint]:
    """A client's own endpoints (also for admins: the API shows everyone only their own)."""
    return WebhookEndpoint.objects.filter(owner=owner).order_by("-created_at")


def endpoint_get(*, owner, endpoint_id) -> WebhookEndpoint:
    try:
        endpoint = endpoint_list(owner=owner).filter(pk=endpoint_id).first()
    except ValidationError:  # not a UUID
        endpoint = None
    if endpoint is None:
        raise NotFound(_("Webhook endpoint not found."))
    return endpoint


def delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """An endpoint's deliveries, newest first, each with its latest `ATTEMPTS_SHOWN` attempts in
    `recent_attempts` (one extra query per page, whatever its size)."""
    recent = WebhookDeliveryAttempt.objects.order_by("-number")[:ATTEMPTS_SHOWN]
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event", "event__claim")
        .prefetch_related(Prefetch("attempt_history", queryset=recent, to_attr="recent_attempts"))
        .order_by("-created_at", "-id")
    )


def failing_endpoint_count() -> int:
    """Endpoints failing now or disabled for failing (the admin dashboard's count)."""
    return (
        WebhookEndpoint.objects.filter(failing_since__isnull=False)
        .filter(Q(is_active=True) | ~Q(disabled_reason=DEACTIVATED_BY_OWNER))
        .count()
    )
