"""Sharded hash chains (docs/AUDIT_CHAINS.md): no global lock on the request path.

* `chain` (0 = the legacy single chain) and `chain_seq` (position in chains 1..N). Existing rows
  become chain 0 as they are, untouched (adding the columns rewrites no row and fires no trigger):
  every old event still verifies with its old hash; the legacy chain is closed from here on, and
  its head at this point is the recorded start of the new scheme (each sharded chain's first event
  links to `chain_genesis(c, legacy head hash)`).
* `audit_auditevent_sequence_seq`: the global `sequence` of new events, drawn without a lock,
  starting after the last legacy event.
* CHECK: chain 0 rows have no position; chains 1..255 have a position > 0; (chain, chain_seq)
  unique.
* The INSERT trigger of 0004 now checks per chain: chain 0 accepts no new rows, a row of chain c
  must be c's head position + 1 with c's head hash as `prev_hash` (position 1 for an empty chain;
  its genesis link is checked by `verify_audit`, which holds the HMAC key).

Reversible while no sharded event exists (the reverse refuses otherwise: dropping the columns would
make those events unverifiable).
"""

from django.db import migrations, models

SEQUENCE_SQL = """
CREATE SEQUENCE IF NOT EXISTS audit_auditevent_sequence_seq AS bigint;
SELECT setval('audit_auditevent_sequence_seq', GREATEST((SELECT max(sequence) FROM audit_auditevent), 0) + 1, false);
"""

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION audit_auditevent_extends_head() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head_position bigint;
    head_hash varchar(64);
BEGIN
    IF NEW.chain = 0 THEN
        RAISE EXCEPTION 'audit_auditevent: the legacy chain (chain 0) is closed; events go to chains 1..N'
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'Audit events are appended by audit.services.record() only.';
    END IF;
    SELECT chain_seq, hash INTO head_position, head_hash
      FROM audit_auditevent WHERE chain = NEW.chain ORDER BY chain_seq DESC LIMIT 1;
    IF head_position IS NULL THEN
        IF NEW.chain_seq <> 1 THEN
            RAISE EXCEPTION 'audit_auditevent: chain % is empty, its first event has position 1, got %',
                NEW.chain, NEW.chain_seq USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    ELSIF NEW.chain_seq <> head_position + 1 OR NEW.prev_hash <> head_hash THEN
        RAISE EXCEPTION 'audit_auditevent: an event of chain % must extend its head (position %, hash %), got position %',
            NEW.chain, head_position + 1, head_hash, NEW.chain_seq
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'Audit events are appended by audit.services.record() only.';
    END IF;
    RETURN NEW;
END;
$$;
"""

# 0004's single-chain function, restored by the reverse.
LEGACY_TRIGGER_SQL = """
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
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEQUENCE_SQL, params=None)
        schema_editor.execute(TRIGGER_SQL, params=None)


def backward(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    if AuditEvent.objects.using(schema_editor.connection.alias).exclude(chain=0).exists():
        raise RuntimeError(
            "Sharded audit chains hold events: dropping chain/chain_seq would make them unverifiable."
        )
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LEGACY_TRIGGER_SQL, params=None)
        schema_editor.execute("DROP SEQUENCE IF EXISTS audit_auditevent_sequence_seq", params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_sequence_positive_extends_head")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.PositiveSmallIntegerField(
                db_default=0, default=0, editable=False, verbose_name="chain"
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain_seq",
            field=models.BigIntegerField(
                blank=True, editable=False, null=True, verbose_name="position in chain"
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.CheckConstraint(
                condition=models.Q(("chain", 0), ("chain_seq__isnull", True))
                | models.Q(("chain__gte", 1), ("chain__lte", 255), ("chain_seq__gt", 0)),
                name="audit_chain_position_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("chain", "chain_seq"), name="audit_chain_position_unique"
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
