"""Writing the audit trail. `record()` is the only way to create an AuditEvent.

The trail is `AUDIT_CHAINS` independent hash chains (docs/AUDIT_CHAINS.md). An event goes to its
target's chain (so one claim's events are one ordered chain), a target-less event to a random one.
Appends to one chain are serialised with that chain's PostgreSQL transaction-level advisory lock:
the writer takes the lock, reads the chain's head (position, hash), inserts the next position and
keeps the lock until its transaction commits or rolls back. So a chain never forks, its positions
have no gaps (a rolled-back append consumed nothing) and its commits become visible in order;
appends to different chains never wait for each other (no global lock on the request path). The
global `sequence` (readers' order) comes from a PostgreSQL sequence, without a lock. Call
`record()` as the last step of the caller's transaction to keep the lock window short.
"""

from __future__ import annotations

import ipaddress
import random
import re
from typing import Any

import structlog
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router, transaction
from django.utils import timezone

from audit import actions
from audit.chain import GENESIS_HASH, LEGACY_CHAIN, chain_for, chain_genesis, compute_hash, to_jsonable
from audit.models import ActorType, AuditEvent
from config import request_context

logger = structlog.get_logger(__name__)

# pg_advisory_xact_lock keys for audit appends: APPEND_LOCK_KEY + chain (int.from_bytes(b"amaudit1")).
APPEND_LOCK_KEY = 7020599496736077361
SEQUENCE_NAME = "audit_auditevent_sequence_seq"  # migration 0005
_rng = random.Random()  # noqa: S311 - spreads target-less events over chains, not a secret


def chains() -> int:
    return max(1, min(255, int(getattr(settings, "AUDIT_CHAINS", 16))))


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


def _legacy_head_hash(using: str) -> str:
    """The closed legacy chain's last hash (the genesis every sharded chain links to)."""
    found = (
        AuditEvent.objects.using(using)
        .filter(chain=LEGACY_CHAIN)
        .order_by("-sequence")
        .values_list("hash", flat=True)
        .first()
    )
    return found or GENESIS_HASH


def _lock_and_read_head(using: str, chain: int) -> tuple[int, str | None, int]:
    """Take `chain`'s append lock, then read its head (position, hash) with a fresh snapshot and
    draw the next global sequence number: (head position or 0, head hash or None, sequence)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        # Three statements in one round trip (simple query protocol, no parameters): in READ
        # COMMITTED each statement takes its own snapshot, so the SELECT sees every append to
        # this chain committed before the lock was granted.
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT pg_advisory_xact_lock({int(APPEND_LOCK_KEY) + int(chain)}); "  # noqa: S608 - ints
                f"SELECT chain_seq, hash FROM {table} WHERE chain = {int(chain)} "
                "ORDER BY chain_seq DESC LIMIT 1; "
                f"SELECT nextval('{SEQUENCE_NAME}')"
            )
            cursor.nextset()
            head = cursor.fetchone()
            cursor.nextset()
            sequence = cursor.fetchone()[0]
        return (head[0], head[1], sequence) if head else (0, None, sequence)
    # SQLite: the database-wide writer lock serialises writers; (chain, chain_seq) and sequence
    # are UNIQUE, so a racing writer fails loudly instead of forking a chain.
    head = (
        AuditEvent.objects.using(using)
        .filter(chain=chain)
        .order_by("-chain_seq")
        .values_list("chain_seq", "hash")
        .first()
    )
    last = AuditEvent.objects.using(using).order_by("-sequence").values_list("sequence", flat=True).first()
    return (head[0], head[1], (last or 0) + 1) if head else (0, None, (last or 0) + 1)


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
    chain = chain_for(
        target_type_id=target_type.pk if target_type is not None else None,
        target_id=target_id,
        chains=chains(),
        fallback=_rng.randrange(1 << 30),
    )
    with transaction.atomic(using=using, savepoint=False):
        position, prev_hash, sequence = _lock_and_read_head(using, chain)
        event.sequence = sequence
        event.chain = chain
        event.chain_seq = position + 1
        event.prev_hash = (
            prev_hash if prev_hash is not None else chain_genesis(chain, _legacy_head_hash(using))
        )
        event.occurred_at = timezone.now()
        event.hash = compute_hash(event)
        event._recording = True
        event.save(using=using)
        event._recording = False
    return event
