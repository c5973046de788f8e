"""The hash chains: one canonical form of an event, hashed with HMAC-SHA256.

`canonical_payload(event)` is the ONLY definition of what is hashed; `record()` uses it when
writing and `verify_audit` when checking. It covers every immutable field of the event plus the
previous event's hash, as JSON with sorted keys and no whitespace. Values go through `to_jsonable`
first so that what is hashed is exactly what PostgreSQL's jsonb gives back when read.

Version 1 is the legacy single chain (chain 0, positions = `sequence`), unchanged so that every
event written before the sharded chains still verifies. Version 2 (chains 1..N) also hashes
`chain` and `chain_seq`, so an event cannot be moved to another chain or position unnoticed.
Chain c's first event links to `chain_genesis(c, legacy head hash)`: every sharded chain is bound
to the legacy chain's final head (cutting the legacy tail breaks all of them), see
docs/AUDIT_CHAINS.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

GENESIS_HASH = "0" * 64
CANONICAL_VERSION = 1  # the legacy chain (chain 0)
SHARDED_VERSION = 2  # chains 1..N
LEGACY_CHAIN = 0


def _datetime(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.isoformat(timespec="microseconds")


def to_jsonable(value: Any, _depth: int = 0) -> Any:
    """Convert a value to plain JSON types deterministically (idempotent).

    Decimal -> str (exact, never float), datetime -> ISO 8601 in UTC with microseconds,
    date/time -> ISO, UUID -> str, model instance -> str(pk), set/tuple -> list (sets sorted),
    integral float -> int (jsonb turns 1e16 into 10000000000000000), NUL chars replaced (jsonb
    rejects them), dict keys -> str.
    """
    if _depth > 32:
        raise ValueError("Audit payload nested too deeply.")
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        return int(value) if value.is_integer() else value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return _datetime(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return to_jsonable(value.pk, _depth + 1)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((to_jsonable(v, _depth + 1) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [to_jsonable(v, _depth + 1) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def snapshot(instance: models.Model, fields) -> dict:
    """The before/after of `fields` of a model instance as an audit event stores them
    (`{field: to_jsonable(value)}`; a foreign key's instance becomes its pk)."""
    return {field: to_jsonable(getattr(instance, field)) for field in fields}


def _target_label(target_type_id: int | None) -> str | None:
    if target_type_id is None:
        return None
    ct = ContentType.objects.get_for_id(target_type_id)
    return f"{ct.app_label}.{ct.model}"


def canonical_payload(event) -> bytes:
    """The bytes that are hashed for `event` (an AuditEvent, saved or about to be)."""
    sharded = bool(event.chain)
    payload = {
        "v": SHARDED_VERSION if sharded else CANONICAL_VERSION,
        "sequence": int(event.sequence),
        "occurred_at": _datetime(event.occurred_at),
        "actor_id": str(event.actor_id) if event.actor_id is not None else None,
        "actor_type": event.actor_type,
        "actor_label": event.actor_label or "",
        "action": event.action,
        "target_type": _target_label(event.target_type_id),
        "target_id": event.target_id or "",
        "before": to_jsonable(event.before),
        "after": to_jsonable(event.after),
        "reason": event.reason or "",
        "request_id": event.request_id or "",
        "ip": event.ip or None,
        "metadata": to_jsonable(event.metadata or {}),
        "prev_hash": event.prev_hash,
    }
    if sharded:
        payload["chain"] = int(event.chain)
        payload["chain_seq"] = int(event.chain_seq)
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _key() -> bytes:
    key = getattr(settings, "AUDIT_HMAC_KEY", "")
    if not key:
        raise RuntimeError("AUDIT_HMAC_KEY is not configured.")
    return key.encode("utf-8")


def compute_hash(event) -> str:
    """HMAC-SHA256 (hex) of the event's canonical payload."""
    return hmac.new(_key(), canonical_payload(event), hashlib.sha256).hexdigest()


def hash_matches(event) -> bool:
    return hmac.compare_digest(compute_hash(event), event.hash or "")


def chain_genesis(chain: int, legacy_head_hash: str) -> str:
    """The `prev_hash` of chain `chain`'s first event: bound to the legacy chain's head."""
    message = f"audit-chain-genesis:{int(chain)}:{legacy_head_hash}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def chain_for(*, target_type_id: int | None, target_id: str, chains: int, fallback: int) -> int:
    """The chain (1..chains) of an event: its target's, so one object's events stay in one chain
    in order; `fallback` (any int) for events without a target."""
    if target_type_id is None:
        return fallback % chains + 1
    digest = hashlib.blake2b(f"{target_type_id}:{target_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % chains + 1
