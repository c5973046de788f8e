"""Issue 18: migrating the existing single chain keeps it verifiable. The events written before
the sharded chains (chain 0, positions = `sequence`) keep their version-1 hashes; every sharded
chain's first event links to the legacy head, so cutting the legacy tail breaks them all."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from audit.chain import GENESIS_HASH, compute_hash
from audit.models import AuditEvent
from audit.services import SEQUENCE_NAME
from tests.audit.conftest import triggers_disabled

pytestmark = pytest.mark.django_db(transaction=True)


def _legacy_events(n):
    """Events as the single-chain code wrote them (chain 0, v1 hash by the production chain code),
    inserted the way they exist in a database migrated from 0004: before the chains began."""
    rows, prev = [], GENESIS_HASH
    for sequence in range(1, n + 1):
        event = AuditEvent(
            sequence=sequence,
            chain=0,
            chain_seq=None,
            occurred_at=timezone.now(),
            actor_type="SYSTEM",
            action="admin.action",
            metadata={"i": sequence},
            prev_hash=prev,
        )
        event.hash = compute_hash(event)
        rows.append(event)
        prev = event.hash
    with triggers_disabled(), connection.cursor() as cursor:
        for e in rows:
            cursor.execute(
                "INSERT INTO audit_auditevent (sequence, chain, occurred_at, actor_type, actor_label, "
                "action, target_id, reason, request_id, metadata, prev_hash, hash) "
                "VALUES (%s, 0, %s, 'SYSTEM', '', 'admin.action', '', '', '', %s::jsonb, %s, %s)",
                [e.sequence, e.occurred_at, f'{{"i": {e.sequence}}}', e.prev_hash, e.hash],
            )
        # what migration 0005 does: new sequence numbers start after the legacy ones
        cursor.execute(f"SELECT setval('{SEQUENCE_NAME}', %s)", [n])
    return rows


def _verify(*args):
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_legacy_events_and_sharded_chains_verify_together(make_events):
    legacy = _legacy_events(5)
    new = make_events(6)
    assert min(e.sequence for e in new) > legacy[-1].sequence
    assert all(e.chain >= 1 for e in new)
    assert "OK: 11 events verified" in _verify()


def test_cutting_the_legacy_tail_breaks_the_sharded_chains(make_events):
    _legacy_events(5)
    make_events(3)
    with triggers_disabled(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE chain = 0 AND sequence = 5")
    with pytest.raises(
        CommandError, match=r"position 1: prev_hash does not match the hash of the chain's genesis"
    ):
        _verify()


def test_an_edited_legacy_event_is_still_found(make_events):
    _legacy_events(4)
    make_events(2)
    with triggers_disabled(), connection.cursor() as cursor:
        cursor.execute(
            """UPDATE audit_auditevent SET metadata = '{"i": 99}'::jsonb WHERE chain = 0 AND sequence = 2"""
        )
    with pytest.raises(CommandError, match=r"BROKEN at sequence 2: hash mismatch"):
        _verify()
