import pytest
from django.db import DatabaseError, connection, transaction

from audit import actions
from audit.models import AppendOnlyError, AuditEvent
from audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return record(action=actions.ADMIN_ACTION, reason="original")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET reason = 'tampered'",
        "DELETE FROM audit_auditevent",
    ],
)
def test_raw_sql_changes_are_refused_by_postgresql(event, sql):
    assert connection.vendor == "postgresql"
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.reason == "original"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("sql", ["TRUNCATE audit_auditevent", "TRUNCATE audit_auditevent CASCADE"])
def test_raw_truncate_is_refused_by_postgresql(sql):
    event = record(action=actions.ADMIN_ACTION, reason="original")  # committed (autocommit)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEvent.objects.filter(pk=event.pk, reason="original").exists()


def test_orm_save_of_existing_row_is_refused(event):
    event.reason = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    fetched = AuditEvent.objects.get(pk=event.pk)
    fetched.reason = "tampered"
    with pytest.raises(AppendOnlyError):
        fetched.save()
    assert AuditEvent.objects.get(pk=event.pk).reason == "original"


def test_orm_update_and_delete_are_refused(event):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["reason"])
    assert AuditEvent.objects.filter(pk=event.pk, reason="original").exists()


def test_rows_cannot_be_created_outside_record():
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.create(
            sequence=999, action="admin.action", actor_type="SYSTEM", prev_hash="0", hash="0"
        )
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_create([AuditEvent(sequence=999)])
    assert not AuditEvent.objects.filter(sequence=999).exists()


def test_user_with_events_cannot_be_hard_deleted(make_user):
    from django.db.models import ProtectedError

    user = make_user()
    record(action=actions.ACCOUNTS_USER_CREATED, actor=user, target=user)
    with pytest.raises(ProtectedError):
        user.delete()


def test_flush_bypass_only_outside_production_for_superusers(settings):
    from audit.management.commands.flush import _may_bypass

    settings.IS_PRODUCTION = False
    assert _may_bypass(connection) is True  # the test role is the postgres superuser
    settings.IS_PRODUCTION = True
    assert _may_bypass(connection) is False
