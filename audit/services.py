"""Writing the audit trail. `record()` is the only way to create an AuditEvent.

Appends are serialised with a PostgreSQL transaction-level advisory lock: the writer takes the
lock, reads the last event (sequence, hash), inserts the next one and keeps the lock until its
transaction commits or rolls back. So the chain never forks, sequences have no gaps (a rolled-back
append consumed nothing), and commits become visible in sequence order. Other transactions are not
blocked by it; only concurrent audit appends wait for each other. Call `record()` as the last
step of the caller's transaction to keep that window short.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import structlog
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router, transaction
from django.utils import timezone

from audit import actions
from audit.chain import GENESIS_HASH, compute_hash, to_jsonable
from audit.models import ActorType, AuditEvent
from config import request_context

logger = structlog.get_logger(__name__)

# pg_advisory_xact_lock key for audit appends: int.from_bytes(b"amaudit1", "big").
APPEND_LOCK_KEY = 7020599496736077361

ACTION_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def _clean_ip(value: Any) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        return None


def _request_id(request) -> str:
    value = getattr(request, "request_id", None) if request is not None else None
    value = value or request_context.get_request_id() or ""
    return _text(value, 128)


def _client_ip(request) -> str | None:
    ip = getattr(request, "client_ip", None) if request is not None else None
    ip = ip or request_context.get_client_ip()
    if not ip and request is not None:
        ip = request.META.get("REMOTE_ADDR")
    return _clean_ip(ip)


def _text(value: Any, limit: int | None = None) -> str:
    """Plain text for a text column: PostgreSQL rejects NUL characters."""
    text = str(value or "").replace("\x00", "\ufffd")
    return text[:limit] if limit else text


def _actor_label(actor) -> str:
    return str(getattr(actor, "email", "") or getattr(actor, "full_name", "") or actor)


def _lock_and_read_head(using: str) -> tuple[int, str] | None:
    """Take the append lock, then read the last event (sequence, hash) with a fresh snapshot."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        # Two statements in one round trip (simple query protocol, no parameters): in READ COMMITTED
        # each statement takes its own snapshot, so the SELECT sees every append committed before
        # the lock was granted.
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT pg_advisory_xact_lock({int(APPEND_LOCK_KEY)}); "  # noqa: S608 - constants only
                f"SELECT sequence, hash FROM {table} ORDER BY sequence DESC LIMIT 1"
            )
            cursor.nextset()
            row = cursor.fetchone()
        return (row[0], row[1]) if row else None
    # SQLite: the database-wide writer lock serialises writers; `sequence` is UNIQUE, so a
    # racing writer fails loudly instead of forking the chain.
    return AuditEvent.objects.using(using).order_by("-sequence").values_list("sequence", "hash").first()


def record(
    *,
    action: str,
    actor=None,
    actor_type: str | None = None,
    actor_label: str = "",
    target=None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    metadata: dict | None = None,
    request=None,
) -> AuditEvent:
    """Append one event to the audit trail, inside the caller's DB transaction.

    `actor` is a User or None; `actor_type` one of USER/SYSTEM/BANK/ANONYMOUS (USER when an actor
    is given, else SYSTEM). `target` is any saved model instance. Request id and IP come from
    `request` when given, else from `config.request_context`. Values in before/after/metadata are
    converted to JSON-safe types (Decimal -> str, dates -> ISO, UUID -> str).
    """
    if not isinstance(action, str) or len(action) > 64 or not ACTION_RE.match(action):
        raise ValueError(f"Invalid audit action {action!r}: use 'area.what_happened' (audit/actions.py).")
    if action not in actions.ALL_ACTIONS:
        logger.warning("audit.unknown_action", action=action)

    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None  # AnonymousUser
    if actor_type is None:
        actor_type = ActorType.USER if actor is not None else ActorType.SYSTEM
    if actor_type not in ActorType.values:
        raise ValueError(f"Invalid actor_type {actor_type!r}; expected one of {ActorType.values}.")
    label = _text(actor_label or (_actor_label(actor) if actor is not None else ""), 254)

    target_type = None
    target_id = ""
    if target is not None:
        if target.pk is None or target._state.adding:
            raise ValueError("Audit target must be saved (it has no primary key).")
        target_type = ContentType.objects.get_for_model(target)
        target_id = _text(target.pk, 64)

    event = AuditEvent(
        actor=actor,
        actor_type=str(actor_type),
        actor_label=label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=to_jsonable(before) if before is not None else None,
        after=to_jsonable(after) if after is not None else None,
        reason=_text(reason),
        request_id=_request_id(request),
        ip=_client_ip(request),
        metadata=to_jsonable(metadata) if metadata else {},
    )

    using = router.db_for_write(AuditEvent)
    with transaction.atomic(using=using, savepoint=False):
        last = _lock_and_read_head(using)
        last_sequence, prev_hash = last if last else (0, GENESIS_HASH)
        event.sequence = last_sequence + 1
        event.prev_hash = prev_hash
        event.occurred_at = timezone.now()
        event.hash = compute_hash(event)
        event._recording = True
        event.save(using=using)
        event._recording = False
    return event
