"""`flush` that can empty the append-only audit table in test/local databases only.

The audit table has a PostgreSQL trigger that refuses TRUNCATE. Django's `flush` (which the test
runner calls after every transactional test) truncates all tables in one statement, so outside
production, when the database role is a superuser, this wrapper runs the flush with
`SET LOCAL session_replication_role = replica` (ordinary triggers do not fire; only superusers may
set it). In production, or for a non-superuser role, `flush` is the stock command and the trigger
refuses to truncate the audit trail.
"""

from django.conf import settings
from django.core.management.commands.flush import Command as FlushCommand
from django.db import DEFAULT_DB_ALIAS, connections


def _may_bypass(connection) -> bool:
    if connection.vendor != "postgresql" or getattr(settings, "IS_PRODUCTION", False):
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser')")
        return cursor.fetchone()[0] == "on"


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if not _may_bypass(connection):
            return super().handle(**options)

        ops = connection.ops
        original = ops.execute_sql_flush

        def execute_sql_flush(sql_list):
            return original(["SET LOCAL session_replication_role = replica", *sql_list])

        ops.execute_sql_flush = execute_sql_flush
        try:
            return super().handle(**options)
        finally:
            del ops.execute_sql_flush
