from contextlib import contextmanager

import pytest
from django.db import connection

from audit import actions
from audit.services import record


@contextmanager
def triggers_disabled():
    """Let the test tamper with the table like a DBA would (superuser only)."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER ALL")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER ALL")


@pytest.fixture
def make_events():
    def _make(n, *, action=actions.ADMIN_ACTION, **kwargs):
        return [record(action=action, metadata={"i": i}, **kwargs) for i in range(n)]

    return _make
