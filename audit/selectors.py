"""Reading the audit trail."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from audit.models import AuditEvent


def events_for_target(obj, *, actions: list[str] | None = None) -> QuerySet[AuditEvent]:
    """Events whose target is `obj` (any model instance), newest first (lazy queryset)."""
    ct = ContentType.objects.get_for_model(obj)
    qs = AuditEvent.objects.filter(target_type=ct, target_id=str(obj.pk))
    if actions:
        qs = qs.filter(action__in=actions)
    return qs.select_related("actor", "target_type").order_by("-sequence")


def event_list() -> QuerySet[AuditEvent]:
    """All events, newest first, with what the API and admin show."""
    return AuditEvent.objects.select_related("actor", "target_type").order_by("-sequence")


def audit_head() -> AuditEvent | None:
    """The last event of the trail (highest sequence), or None when the trail is empty."""
    return AuditEvent.objects.order_by("-sequence").first()


def chain_heads() -> dict[int, AuditEvent]:
    """The head event of every chain (0 = the closed legacy chain, 1..N sharded), by chain."""
    heads = {}
    legacy = AuditEvent.objects.filter(chain=0).order_by("-sequence").first()
    if legacy is not None:
        heads[0] = legacy
    for event in AuditEvent.objects.exclude(chain=0).order_by("chain", "-chain_seq").distinct("chain"):
        heads[event.chain] = event
    return heads
