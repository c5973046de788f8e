"""Forged rows are refused by the database, not only found by the verifier:

* `CHECK (sequence > 0)`: a row outside the chain's numbering (a plain `INSERT … sequence = -7`
  was shown by the auditors' API and passed `verify_audit`) cannot be written at all;
* a `BEFORE INSERT` trigger refuses any row that does not extend the head: its sequence must be
  the head's + 1 (1 for an empty table) and its `prev_hash` the head's hash (the genesis hash for
  an empty table). `audit.services.record()` always writes such a row under its append lock; a
  hand-written INSERT that does the same still needs the HMAC key to pass `verify_audit`.

PostgreSQL only for the trigger (SQLite keeps the model guards). Reversible: the reverse drops the
trigger and its function, then the constraint.
"""

from django.db import migrations, models

FORWARD_SQL = """
CREATE OR REPLACE FUNCTION audit_auditevent_extends_head() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head_sequence bigint;
    head_hash varchar(64);
BEGIN
    SELECT sequence, hash INTO head_sequence, head_hash
      FROM audit_auditevent ORDER BY sequence DESC LIMIT 1;
    IF head_sequence IS NULL THEN
        head_sequence := 0;
        head_hash := repeat('0', 64);
    END IF;
    IF NEW.sequence <> head_sequence + 1 OR NEW.prev_hash <> head_hash THEN
        RAISE EXCEPTION 'audit_auditevent: an event must extend the head (sequence %, hash %), got sequence %',
            head_sequence + 1, head_hash, NEW.sequence
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'Audit events are appended by audit.services.record() only.';
    END IF;
    RETURN NEW;
END;
$$;
DROP TRIGGER IF EXISTS audit_auditevent_extends_head ON audit_auditevent;
CREATE TRIGGER audit_auditevent_extends_head
    BEFORE INSERT ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_extends_head();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS audit_auditevent_extends_head ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_auditevent_extends_head();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD_SQL, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_role_permissions")]

    operations = [
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.CheckConstraint(
                condition=models.Q(sequence__gt=0), name="audit_sequence_positive"
            ),
        ),
        migrations.RunPython(install, uninstall),
    ]
