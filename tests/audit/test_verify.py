"""verify_audit on an intact chain and after tampering (done with the triggers disabled, as a DBA)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

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


def test_intact_chain_verifies(make_events):
    events = make_events(7)
    out, err = run_verify("--batch", "3")
    assert "OK: 7 events verified" in out
    assert events[-1].hash in out
    assert "verified 3 events" in err and "verified 7 events" in err  # progress per batch


def test_empty_trail_verifies():
    out, _ = run_verify()
    assert "no audit events" in out


def test_edited_after_field_is_reported(make_events):
    make_events(5)
    with triggers_disabled():
        sql("""UPDATE audit_auditevent SET after = '{"amount": "999.00"}'::jsonb WHERE sequence = 3""")
    with pytest.raises(CommandError, match=r"BROKEN at sequence 3: hash mismatch") as exc:
        run_verify()
    assert exc.value.returncode == 2


def test_edited_reason_with_a_forged_plain_sha256_is_reported(make_events):
    """Without the HMAC key a forger cannot recompute a valid hash."""
    make_events(4)
    with triggers_disabled():
        sql(
            "UPDATE audit_auditevent SET reason = 'forged', hash = encode(sha256('x'), 'hex') "
            "WHERE sequence = 4"
        )
    with pytest.raises(CommandError, match=r"sequence 4"):
        run_verify()


def test_deleted_middle_row_is_reported(make_events):
    make_events(6)
    with triggers_disabled():
        sql("DELETE FROM audit_auditevent WHERE sequence = 4")
    with pytest.raises(CommandError, match=r"BROKEN at sequence 5: .*expected sequence 4") as exc:
        run_verify()
    assert exc.value.returncode == 2


def test_deleted_first_row_is_reported(make_events):
    make_events(3)
    with triggers_disabled():
        sql("DELETE FROM audit_auditevent WHERE sequence = 1")
    with pytest.raises(CommandError, match=r"BROKEN at sequence 2"):
        run_verify()


def test_swapped_rows_are_reported(make_events):
    make_events(6)
    with triggers_disabled():
        sql("UPDATE audit_auditevent SET sequence = 1000000 WHERE sequence = 3")
        sql("UPDATE audit_auditevent SET sequence = 3 WHERE sequence = 4")
        sql("UPDATE audit_auditevent SET sequence = 4 WHERE sequence = 1000000")
    with pytest.raises(CommandError, match=r"BROKEN at sequence 3: prev_hash does not match"):
        run_verify()


def test_swapped_contents_keeping_sequences_are_reported(make_events):
    """Reorder by swapping everything but the sequence column: the link check still catches it."""
    make_events(5)
    cols = "occurred_at, actor_type, actor_label, action, metadata, prev_hash, hash"
    with triggers_disabled():
        sql(
            f"""UPDATE audit_auditevent a SET ({cols}) = (SELECT {cols} FROM audit_auditevent b
                WHERE b.sequence = CASE a.sequence WHEN 2 THEN 3 ELSE 2 END) WHERE a.sequence IN (2, 3)"""
        )
    with pytest.raises(CommandError, match=r"BROKEN at sequence 2: prev_hash"):
        run_verify()


def test_since_checkpoint(make_events):
    make_events(8)
    out, _ = run_verify("--since", "5")
    assert "OK: 4 events verified from sequence 5" in out

    with triggers_disabled():
        sql("""UPDATE audit_auditevent SET after = '{"x": 1}'::jsonb WHERE sequence = 2""")
    # a break before the checkpoint is outside a --since walk, but the full walk finds it
    out, _ = run_verify("--since", "5")
    assert "OK: 4 events verified" in out
    with pytest.raises(CommandError, match="sequence 2"):
        run_verify()

    with triggers_disabled():
        sql("""UPDATE audit_auditevent SET after = '{"x": 1}'::jsonb WHERE sequence = 7""")
    with pytest.raises(CommandError, match="sequence 7"):
        run_verify("--since", "5")


def test_since_with_missing_predecessor(make_events):
    make_events(5)
    with triggers_disabled():
        sql("DELETE FROM audit_auditevent WHERE sequence = 2")
    result = verify_chain(since=3)
    assert not result.ok and result.broken.sequence == 3 and "missing" in result.broken.message


def test_bad_arguments():
    with pytest.raises(CommandError, match="--batch"):
        run_verify("--batch", "0")


def test_audit_head(make_events):
    events = make_events(3)
    out = io.StringIO()
    call_command("audit_head", stdout=out)
    seq, digest, _when = out.getvalue().split()
    assert (int(seq), digest) == (3, events[-1].hash)
    out = io.StringIO()
    call_command("audit_head", "--json", stdout=out)
    assert '"sequence": 3' in out.getvalue() and events[-1].hash in out.getvalue()
