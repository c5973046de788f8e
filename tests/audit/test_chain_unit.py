import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings

from audit import actions
from audit.chain import canonical_payload, compute_hash, hash_matches, snapshot, to_jsonable
from audit.services import record
from transactions.models import Transaction

pytestmark = pytest.mark.django_db


def test_to_jsonable_is_deterministic_and_idempotent():
    value = {
        "d": Decimal("10.10"),
        "t": dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=-4))),
        "f": 2.0,
        "s": {"b", "a"},
        1: "int key",
        "nul": "a\x00b",
    }
    once = to_jsonable(value)
    assert once == {
        "d": "10.10",
        "t": "2026-05-01T16:00:00.000000+00:00",
        "f": 2,
        "s": ["a", "b"],
        "1": "int key",
        "nul": "a\ufffdb",
    }
    assert to_jsonable(once) == once


def test_snapshot_stores_fields_as_the_chain_hashes_them(make_user):
    """One conversion for a model's before/after and for the hash (transactions' snapshots used a
    second, looser one: local-zone datetimes, model instances left as they were)."""
    owner = make_user()
    caracas = dt.timezone(dt.timedelta(hours=-4))
    claim = Transaction(
        amount=Decimal("10.50"),
        payment_date=dt.date(2026, 5, 1),
        last_verified_at=dt.datetime(2026, 5, 1, 12, 0, tzinfo=caracas),
        created_by=owner,
        metadata={"n": 1.0},
    )
    fields = ("amount", "payment_date", "last_verified_at", "created_by", "metadata", "next_verification_at")
    taken = snapshot(claim, fields)
    assert taken == {
        "amount": "10.50",
        "payment_date": "2026-05-01",
        "last_verified_at": "2026-05-01T16:00:00.000000+00:00",
        "created_by": str(owner.pk),
        "metadata": {"n": 1},
        "next_verification_at": None,
    }
    assert to_jsonable(taken) == taken
    event = record(action=actions.ADMIN_ACTION, target=owner, before=taken, after=taken)
    event.refresh_from_db()
    assert event.before == taken  # stored as taken: what was hashed is what is read back


def test_canonical_payload_is_sorted_compact_and_covers_prev_hash():
    event = record(action=actions.ADMIN_ACTION, metadata={"b": 1, "a": 2}, reason="r")
    payload = canonical_payload(event)
    assert b" " not in payload.replace(b'"r"', b"")
    assert payload.index(b'"a":2') < payload.index(b'"b":1')
    assert event.prev_hash.encode() in payload
    assert hash_matches(event)
    event.prev_hash = "f" * 64
    assert not hash_matches(event)


def test_hash_depends_on_the_key():
    event = record(action=actions.ADMIN_ACTION)
    with override_settings(AUDIT_HMAC_KEY="another-key"):
        assert compute_hash(event) != event.hash
