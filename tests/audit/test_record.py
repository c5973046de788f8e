import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import RequestFactory

from accounts.models import User
from audit import actions
from audit.models import ActorType, AuditEvent
from audit.selectors import events_for_target
from audit.services import record
from config.request_context import bind

pytestmark = pytest.mark.django_db


def test_event_is_written_with_the_change(make_user):
    user = make_user()
    with transaction.atomic():
        user.full_name = "Changed"
        user.save()
        event = record(
            action=actions.ACCOUNTS_USER_CREATED, actor=user, target=user, after={"full_name": "Changed"}
        )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.sequence == event.sequence
    assert stored.actor_id == user.pk
    assert stored.actor_type == ActorType.USER
    assert stored.actor_label == user.email
    assert stored.target_label == "accounts.user"
    assert stored.target_id == str(user.pk)
    assert stored.after == {"full_name": "Changed"}


def test_rolled_back_change_leaves_no_event(make_user):
    user = make_user()
    before = AuditEvent.objects.count()

    class Boom(Exception):
        pass

    first = record(action=actions.ADMIN_ACTION, target=user)
    with pytest.raises(Boom), transaction.atomic():
        user.full_name = "Never"
        user.save()
        record(action=actions.ACCOUNTS_USER_DEACTIVATED, actor=user, target=user)
        raise Boom
    assert AuditEvent.objects.count() == before + 1
    assert User.objects.get(pk=user.pk).full_name != "Never"
    # the rolled-back append consumed no position of its chain (the user's)
    nxt = record(action=actions.ADMIN_ACTION, target=user)
    assert (nxt.chain, nxt.chain_seq, nxt.prev_hash) == (first.chain, first.chain_seq + 1, first.hash)


def test_values_are_made_json_safe():
    when = dt.datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=dt.UTC)
    uid = uuid.uuid4()
    event = record(
        action=actions.TRANSACTION_STATUS_CHANGED,
        before={"amount": Decimal("1500.10"), "when": when, "day": dt.date(2026, 1, 2), "id": uid},
        after={"big": 1e16, "ratio": 0.25, "tags": ("a", "b")},
        metadata={"nested": {"n": Decimal("0.01")}},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.before == {
        "amount": "1500.10",
        "when": "2026-01-02T03:04:05.000600+00:00",
        "day": "2026-01-02",
        "id": str(uid),
    }
    assert stored.after == {"big": 10**16, "ratio": 0.25, "tags": ["a", "b"]}
    assert stored.metadata == {"nested": {"n": "0.01"}}


def test_actor_type_inference_and_validation(make_user):
    assert record(action=actions.ADMIN_ACTION).actor_type == ActorType.SYSTEM
    assert record(action=actions.ADMIN_ACTION, actor=make_user()).actor_type == ActorType.USER
    bank = record(action=actions.TRANSACTION_VERIFIED, actor_type="BANK", actor_label="banesco")
    assert (bank.actor_type, bank.actor_label, bank.actor_id) == ("BANK", "banesco", None)
    with pytest.raises(ValueError, match="actor_type"):
        record(action=actions.ADMIN_ACTION, actor_type="ROBOT")
    with pytest.raises(ValueError, match="Invalid audit action"):
        record(action="Not An Action")


def test_request_id_and_ip_from_context_or_request():
    with bind(request_id="req-123", client_ip="10.1.2.3"):
        event = record(action=actions.ADMIN_ACTION)
    assert (event.request_id, event.ip) == ("req-123", "10.1.2.3")

    request = RequestFactory().get("/x", REMOTE_ADDR="192.168.0.9")
    request.request_id = "req-from-request"
    event = record(action=actions.ADMIN_ACTION, request=request)
    assert (event.request_id, event.ip) == ("req-from-request", "192.168.0.9")

    bad = RequestFactory().get("/x", REMOTE_ADDR="not-an-ip")
    assert record(action=actions.ADMIN_ACTION, request=bad).ip is None


def test_chain_links_each_event_to_the_previous(make_user):
    user = make_user()
    first = record(action=actions.ADMIN_ACTION, target=user)
    second = record(action=actions.ADMIN_ACTION, target=user)
    assert second.chain == first.chain >= 1  # one object's events: one chain, in order
    assert second.chain_seq == first.chain_seq + 1 and second.sequence > first.sequence
    assert second.prev_hash == first.hash
    assert len(second.hash) == 64 and second.hash != first.hash


def test_events_for_target_newest_first(make_user):
    user, other = make_user(), make_user()
    a = record(action=actions.ACCOUNTS_ROLE_GRANTED, target=user)
    record(action=actions.ACCOUNTS_ROLE_GRANTED, target=other)
    b = record(action=actions.ACCOUNTS_ROLE_REVOKED, target=user)
    assert [e.pk for e in events_for_target(user)] == [b.pk, a.pk]
    assert [e.pk for e in events_for_target(user, actions=[actions.ACCOUNTS_ROLE_GRANTED])] == [a.pk]


def test_unsaved_target_is_refused():
    with pytest.raises(ValueError, match="saved"):
        record(action=actions.ADMIN_ACTION, target=User(email="x@example.test"))


def test_nul_characters_in_text_do_not_break_the_append():
    event = record(
        action=actions.ADMIN_ACTION, actor_label="evil\x00@x", reason="a\x00b", metadata={"k": "v\x00"}
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.reason, stored.actor_label, stored.metadata) == (
        "a\ufffdb",
        "evil\ufffd@x",
        {"k": "v\ufffd"},
    )
