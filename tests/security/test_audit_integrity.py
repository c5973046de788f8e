"""Findings 6 and 7: a forged audit row cannot be written, and none passes verification; a cut
tail is found against a published head. Before: `INSERT … sequence = -7` was accepted, shown by
the auditors' API and `verify_audit` said OK; deleting the last 1 or 50 events still verified."""

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
    "sequence, occurred_at, actor_type, actor_label, action, target_id, reason, request_id, "
    "metadata, prev_hash, hash"
)


def _forge(sequence, prev_hash, digest="f" * 64):
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO audit_auditevent ({COLUMNS}) VALUES "
            "(%s, now(), 'SYSTEM', '', 'admin.action', '', 'forged', '', '{}'::jsonb, %s, %s)",
            [sequence, prev_hash, digest],
        )


def _verify(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=err)
    return out.getvalue()


def _delete_tail(n):
    with triggers_disabled(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM audit_auditevent WHERE sequence > (SELECT max(sequence) - %s FROM audit_auditevent)",
            [n],
        )


def test_a_negative_sequence_is_refused_by_the_database(make_events):
    make_events(3)
    with pytest.raises(IntegrityError), transaction.atomic():
        _forge(-7, GENESIS_HASH)
    # ... even by a DBA who disabled the triggers: the CHECK constraint still holds.
    with pytest.raises(IntegrityError), triggers_disabled(), transaction.atomic():
        _forge(-7, GENESIS_HASH)


def test_an_insert_that_does_not_extend_the_head_is_refused(make_events):
    events = make_events(3)
    for sequence, prev in ((10, events[-1].hash), (4, events[0].hash), (2, events[0].hash)):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            _forge(sequence, prev)
    assert AuditEvent.objects.count() == 3


def test_a_row_extending_the_head_without_the_key_fails_verification(make_events):
    events = make_events(3)
    _forge(4, events[-1].hash)  # the trigger lets it in; the HMAC does not
    with pytest.raises(CommandError, match=r"BROKEN at sequence 4: hash mismatch"):
        _verify()


class _Rollback(Exception):
    pass


def test_a_row_outside_the_chain_fails_verification_even_without_the_check(make_events):
    """Defence in depth: with the CHECK dropped and the triggers off (a superuser), the verifier
    still accounts for every row: the report's `sequence = -7` is found."""
    make_events(3)
    with pytest.raises(_Rollback), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent DROP CONSTRAINT audit_sequence_positive")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER ALL")
        _forge(-7, GENESIS_HASH)
        with pytest.raises(CommandError, match=r"BROKEN at sequence -7: the table holds 4 events"):
            _verify()
        raise _Rollback  # undo the DDL
    assert "OK: 3 events verified" in _verify()


def test_a_row_deleted_before_the_checkpoint_is_found_by_the_accounting(make_events):
    make_events(8)
    with triggers_disabled(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence = 2")
    with pytest.raises(CommandError, match=r"accounts for 8"):
        _verify("--since", "5")


@pytest.mark.parametrize("cut", [1, 50])
def test_a_cut_tail_is_found_against_the_published_head(make_events, tmp_path, cut):
    make_events(60)
    published = tmp_path / "head.json"
    call_command("audit_head", "--publish", str(published), stdout=io.StringIO())
    document = json.loads(published.read_text())
    assert document["sequence"] == 60 and document["expect_head"] == f"60:{document['hash']}"
    assert "published head 60 found" in _verify("--expect-head", document["expect_head"])

    _delete_tail(cut)
    assert "OK" in _verify()  # alone the chain cannot see it: that is why the head is published
    with pytest.raises(CommandError, match=r"cut from the tail") as exc:
        _verify("--expect-head-file", str(published))
    assert exc.value.returncode == 2
    with pytest.raises(CommandError, match=r"cut from the tail"):
        _verify("--expect-head", document["expect_head"])


def test_a_rewritten_history_does_not_match_the_published_head(make_events):
    events = make_events(5)
    head = f"5:{events[-1].hash}"
    with pytest.raises(CommandError, match=r"rewritten after the head was published"):
        _verify("--expect-head", f"5:{'a' * 64}")
    assert "OK" in _verify("--expect-head", head)


def test_a_malformed_expected_head_is_a_usage_error(make_events):
    make_events(1)
    with pytest.raises(CommandError, match="SEQ:HASH"):
        _verify("--expect-head", "five")
