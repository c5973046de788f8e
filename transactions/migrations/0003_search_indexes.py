from django.conf import settings
from django.db import migrations, models, transaction

# The list's `search=` matches part of the customer name with ILIKE '%term%' (Django's icontains:
# UPPER(col) LIKE UPPER(...)). On PostgreSQL a trigram GIN index on UPPER(name) serves it.
# Kept out of the model state (SQLite has no pg_trgm); skipped where the extension is unavailable.
TRGM_INDEX = "tx_name_trgm_idx"


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON transactions_transaction "
                "USING gin (UPPER(customer_full_name) gin_trgm_ops)"
            )
    except Exception as exc:  # noqa: BLE001 - no pg_trgm privileges: search still works, unindexed
        print(f"\n  skipped {TRGM_INDEX}: {exc}")


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("transactions", "0002_role_permissions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(
                fields=["reference"], name="tx_reference_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
        ),
        migrations.RunPython(create_trigram_index, drop_trigram_index),
    ]
