"""`review_since`: when a TO_REVIEW claim entered the queue, for the queue's age and order.

Back-filled from the audit trail: the occurred_at of the claim's last `transaction.status_changed`
event into TO_REVIEW (the claim's `updated_at` when it has none). Reverse: the field goes away.
"""

from django.conf import settings
from django.db import migrations, models

BACKFILL_SQL = """
UPDATE transactions_transaction AS t
SET review_since = COALESCE((
    SELECT max(e.occurred_at) FROM audit_auditevent AS e
    WHERE e.target_type_id = %s AND e.target_id = t.id::text
      AND e.action = 'transaction.status_changed' AND e.metadata ->> 'to_status' = 'TO_REVIEW'
), t.updated_at)
WHERE t.status = 'TO_REVIEW'
"""


def backfill(apps, schema_editor):
    Transaction = apps.get_model("transactions", "Transaction")
    ContentType = apps.get_model("contenttypes", "ContentType")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    db = schema_editor.connection.alias
    ct = ContentType.objects.using(db).filter(app_label="transactions", model="transaction").first()
    if ct is None:  # a fresh database: no claims yet
        return
    if schema_editor.connection.vendor == "postgresql":
        # One statement; each claim's events come from audit_target_seq_idx.
        schema_editor.execute(BACKFILL_SQL, [ct.pk])
        return
    for claim in Transaction.objects.using(db).filter(status="TO_REVIEW").iterator():
        entered = (
            AuditEvent.objects.using(db)
            .filter(
                target_type_id=ct.pk,
                target_id=str(claim.pk),
                action="transaction.status_changed",
                metadata__to_status="TO_REVIEW",
            )
            .order_by("-sequence")
            .values_list("occurred_at", flat=True)
            .first()
        )
        Transaction.objects.using(db).filter(pk=claim.pk).update(review_since=entered or claim.updated_at)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0005_sharded_chains"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("transactions", "0009_claim_assignment"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="transaction",
            name="review_since",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="in review since"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True), ("status", "TO_REVIEW")),
                fields=["review_since", "created_at", "id"],
                name="tx_review_since_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True), ("status", "TO_REVIEW")),
                fields=["status_reason_code", "review_since", "created_at", "id"],
                name="tx_review_cause_idx",
            ),
        ),
    ]
