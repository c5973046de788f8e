"""verify_audit on intact chains and after tampering (done with the triggers disabled, as a DBA)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.models import AuditEvent
from audit.verification import verify_chain
from tests.audit.conftest import triggers_disabled

pytestmark = pytest.mark.django_db(transaction=True)


def run_verify(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def sql(statement, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def one_chain(make_events, make_user):
    """n events of one target: one chain, positions 1..n."""

    def _make(n):
        events = make_events(n, target=make_user())
        assert [e.chain_seq for e in events] == list(range(1, n + 1))
        return events

    return _make


def test_intact_chains_verify(one_chain, make_events):
    events = one_chain(7)  # one chain: progress after 3, 6 and 7 events (batches of 3)
    out, err = run_verify("--batch", "3")
    assert "OK: 7 events verified" in out
    assert max(events, key=lambda e: e.sequence).hash in out
    assert "verified 3 events" in err and "verified 7 events" in err  # progress per batch
    make_events(5)  # and events spread over other chains verify too
    assert "OK: 12 events verified" in run_verify()[0]


def test_empty_trail_verifies():
    out, _ = run_verify()
    assert "no audit events" in out


def test_edited_after_field_is_reported(one_chain):
    events = one_chain(5)
    with triggers_disabled():
        sql(
            """UPDATE audit_auditevent SET after = '{"amount": "999.00"}'::jsonb WHERE sequence = %s""",
            [events[2].sequence],
        )
    with pytest.raises(
        CommandError, match=rf"BROKEN at sequence {events[2].sequence}: chain \d+ position 3: hash mismatch"
    ) as exc:
        run_verify()
    assert exc.value.returncode == 2


def test_edited_reason_with_a_forged_plain_sha256_is_reported(one_chain):
    """Without the HMAC key a forger cannot recompute a valid hash."""
    events = one_chain(4)
    with triggers_disabled():
        sql(
            "UPDATE audit_auditevent SET reason = 'forged', hash = encode(sha256('x'), 'hex') "
            "WHERE sequence = %s",
            [events[3].sequence],
        )
    with pytest.raises(CommandError, match=rf"sequence {events[3].sequence}"):
        run_verify()


def test_moving_an_event_to_another_position_is_reported(one_chain):
    """chain_seq is hashed: renumbering a row (to close a gap) breaks its own hash."""
    events = one_chain(4)
    with triggers_disabled():
        sql("DELETE FROM audit_auditevent WHERE sequence = %s", [events[1].sequence])
        sql(
            "UPDATE audit_auditevent SET chain_seq = 2, prev_hash = %s WHERE sequence = %s",
            [events[0].hash, events[2].sequence],
        )
    with pytest.raises(CommandError, match=r"position 2: hash mismatch"):
        run_verify()


def test_deleted_middle_row_is_reported(one_chain):
    events = one_chain(6)
    with triggers_disabled():
        sql("DELETE FROM audit_auditevent WHERE sequence = %s", [events[3].sequence])
    with pytest.raises(
        CommandError, match=rf"BROKEN at sequence {events[4].sequence}: .*expected position 4"
    ) as exc:
        run_verify()
    assert exc.value.returncode == 2


def test_deleted_first_row_is_reported(one_chain):
    events = one_chain(3)
    with triggers_disabled():
        sql("DELETE FROM audit_auditevent WHERE sequence = %s", [events[0].sequence])
    with pytest.raises(CommandError, match=rf"BROKEN at sequence {events[1].sequence}"):
        run_verify()


def test_swapped_rows_are_reported(one_chain):
    events = one_chain(6)
    a, b = events[2], events[3]
    with triggers_disabled():
        sql("UPDATE audit_auditevent SET chain_seq = 1000000 WHERE sequence = %s", [a.sequence])
        sql("UPDATE audit_auditevent SET chain_seq = 3 WHERE sequence = %s", [b.sequence])
        sql("UPDATE audit_auditevent SET chain_seq = 4 WHERE sequence = %s", [a.sequence])
    with pytest.raises(
        CommandError,
        match=rf"BROKEN at sequence {b.sequence}: chain \d+ position 3: prev_hash does not match",
    ):
        run_verify()


def test_swapped_contents_keeping_positions_are_reported(one_chain):
    """Reorder by swapping everything but the position: the link check still catches it."""
    events = one_chain(5)
    cols = "occurred_at, actor_type, actor_label, action, metadata, prev_hash, hash"
    s2, s3 = events[1].sequence, events[2].sequence
    with triggers_disabled():
        sql(
            f"""UPDATE audit_auditevent a SET ({cols}) = (SELECT {cols} FROM audit_auditevent b
                WHERE b.sequence = CASE a.sequence WHEN %s THEN %s ELSE %s END)
                WHERE a.sequence IN (%s, %s)""",
            [s2, s3, s2, s2, s3],
        )
    with pytest.raises(CommandError, match=r"position 2: prev_hash"):
        run_verify()


def test_a_forged_first_event_does_not_link_to_the_genesis(one_chain):
    """A chain's first event links to its genesis (HMAC of the chain and the legacy head)."""
    events = one_chain(2)
    with triggers_disabled():
        sql("DELETE FROM audit_auditevent WHERE sequence = %s", [events[0].sequence])
        sql("UPDATE audit_auditevent SET chain_seq = 1 WHERE sequence = %s", [events[1].sequence])
    with pytest.raises(
        CommandError, match=r"position 1: prev_hash does not match the hash of the chain's genesis"
    ):
        run_verify()


def test_since_applies_to_the_legacy_chain_only(make_events):
    make_events(3)
    result = verify_chain(since=5)
    assert not result.ok and "missing" in result.broken.message  # no legacy event 4 here


def test_bad_arguments():
    with pytest.raises(CommandError, match="--batch"):
        run_verify("--batch", "0")


def test_audit_head(make_events):
    events = make_events(3)
    latest = max(events, key=lambda e: e.sequence)
    out = io.StringIO()
    call_command("audit_head", stdout=out)
    first_line = out.getvalue().splitlines()[0]
    seq, digest, _when = first_line.split()
    assert (int(seq), digest) == (latest.sequence, latest.hash)
    out = io.StringIO()
    call_command("audit_head", "--json", stdout=out)
    assert f'"sequence": {latest.sequence}' in out.getvalue() and latest.hash in out.getvalue()
    for event in events:
        head = AuditEvent.objects.filter(chain=event.chain).order_by("-chain_seq").first()
        assert f"{head.chain}:{head.chain_seq}:{head.hash}" in out.getvalue()
