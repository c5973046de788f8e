"""Audit integrity (issue 16 findings 6 and 7, kept by issue 18's sharded chains).

A forged row cannot be written, and none passes verification; a cut tail is found against a
published head. Before issue 16: `INSERT … sequence = -7` was accepted, shown by the auditors' API
and `verify_audit` said OK; deleting the last 1 or 50 events still verified. With the sharded
chains (docs/AUDIT_CHAINS.md) every chain detects an edited, deleted, reordered and forged event,
and a cut tail of any chain is found against the published heads.
"""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from audit.chain import GENESIS_HASH
from audit.models import AuditEvent
from tests.audit.conftest import triggers_disabled

pytestmark = pytest.mark.django_db(transaction=True)

COLUMNS = (
    "sequence, chain, chain_seq, occurred_at, actor_type, actor_label, action, target_id, reason, "
    "request_id, metadata, prev_hash, hash"
)


def _forge(sequence, prev_hash, *, chain=0, chain_seq=None, digest="f" * 64):
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO audit_auditevent ({COLUMNS}) VALUES "
            "(%s, %s, %s, now(), 'SYSTEM', '', 'admin.action', '', 'forged', '', '{}'::jsonb, %s, %s)",
            [sequence, chain, chain_seq, prev_hash, digest],
        )


def _verify(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=err)
    return out.getvalue()


@pytest.fixture
def one_chain(make_events, make_user):
    def _make(n):
        return make_events(n, target=make_user())

    return _make


def _delete_tail(chain, n):
    with triggers_disabled(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM audit_auditevent WHERE chain = %s AND chain_seq > "
            "(SELECT max(chain_seq) - %s FROM audit_auditevent WHERE chain = %s)",
            [chain, n, chain],
        )


def test_a_negative_sequence_is_refused_by_the_database(make_events):
    make_events(3)
    with pytest.raises(IntegrityError), transaction.atomic():
        _forge(-7, GENESIS_HASH)
    # ... even by a DBA who disabled the triggers: the CHECK constraints still hold.
    with pytest.raises(IntegrityError), triggers_disabled(), transaction.atomic():
        _forge(-7, GENESIS_HASH)
    with pytest.raises(IntegrityError), triggers_disabled(), transaction.atomic():
        _forge(10**9, GENESIS_HASH, chain=3, chain_seq=0)


def test_an_insert_that_does_not_extend_its_chain_is_refused(one_chain):
    events = one_chain(3)
    chain, head = events[0].chain, events[-1]
    for position, prev in ((10, head.hash), (4, events[0].hash), (2, events[0].hash)):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            _forge(10**9 + position, prev, chain=chain, chain_seq=position)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        _forge(10**9, GENESIS_HASH)  # the closed legacy chain takes no new rows
    assert AuditEvent.objects.count() == 3


def test_a_row_extending_the_head_without_the_key_fails_verification(one_chain):
    events = one_chain(3)
    head = events[-1]
    _forge(10**9, head.hash, chain=head.chain, chain_seq=4)  # the trigger lets it in; the HMAC does not
    with pytest.raises(
        CommandError, match=rf"BROKEN at sequence {10**9}: chain {head.chain} position 4: hash mismatch"
    ):
        _verify()


class _Rollback(Exception):
    pass


def test_a_row_outside_the_chains_fails_verification_even_without_the_checks(make_events):
    """Defence in depth: with the CHECKs dropped and the triggers off (a superuser), the verifier
    still accounts for every row: the report's `sequence = -7` is found."""
    make_events(3)
    with pytest.raises(_Rollback), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent DROP CONSTRAINT audit_sequence_positive")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER ALL")
        _forge(-7, GENESIS_HASH)
        with pytest.raises(CommandError, match=r"BROKEN at sequence -7: the table holds 1 legacy events"):
            _verify()
        raise _Rollback  # undo the DDL
    assert "OK: 3 events verified" in _verify()


def test_a_forged_row_in_an_unused_chain_is_found(one_chain):
    one_chain(2)
    with triggers_disabled():
        _forge(10**9, "e" * 64, chain=200, chain_seq=1)
    with pytest.raises(
        CommandError, match=r"chain 200 position 1: prev_hash does not match the hash of the chain's genesis"
    ):
        _verify()


@pytest.mark.parametrize("cut", [1, 50])
def test_a_cut_tail_is_found_against_the_published_heads(one_chain, make_events, tmp_path, cut):
    events = one_chain(60)
    make_events(5)  # other chains too
    chain = events[0].chain
    top = AuditEvent.objects.filter(chain=chain).order_by("-chain_seq").first()  # >= 60
    published = tmp_path / "head.json"
    call_command("audit_head", "--publish", str(published), stdout=io.StringIO())
    document = json.loads(published.read_text())
    assert document["chains"][str(chain)]["position"] == top.chain_seq >= 60
    assert f"{chain}:{top.chain_seq}:{top.hash}" in document["expect_head"]
    assert "published head(s) found" in _verify("--expect-head", document["expect_head"])

    _delete_tail(chain, cut)
    assert "OK" in _verify()  # alone the chain cannot see it: that is why the heads are published
    with pytest.raises(
        CommandError,
        match=rf"chain {chain}: the chain ends at position {top.chain_seq - cut}.*cut from the tail",
    ) as exc:
        _verify("--expect-head-file", str(published))
    assert exc.value.returncode == 2
    with pytest.raises(CommandError, match=r"cut from the tail"):
        _verify("--expect-head", f"{chain}:{top.chain_seq}:{top.hash}")


def test_a_rewritten_history_does_not_match_the_published_head(one_chain):
    events = one_chain(5)
    chain = events[0].chain
    with pytest.raises(CommandError, match=r"rewritten after the head was published"):
        _verify("--expect-head", f"{chain}:5:{'a' * 64}")
    assert "OK" in _verify("--expect-head", f"{chain}:5:{events[-1].hash}")


def test_a_malformed_expected_head_is_a_usage_error(make_events):
    make_events(1)
    with pytest.raises(CommandError, match="SEQ:HASH"):
        _verify("--expect-head", "five")
