import django.db.models.deletion
from django.db import migrations, models

from accounts.roles import sync_role_permissions


class Migration(migrations.Migration):
    """Per-attempt delivery history (append-only); admins may view it (the delivery's inline).
    Reversing drops the history table; the deliveries keep their last attempt's fields."""

    dependencies = [
        ("transactions", "0007_webhook_role_permissions"),
    ]

    operations = [
        migrations.CreateModel(
            name="WebhookDeliveryAttempt",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("number", models.PositiveIntegerField(editable=False, verbose_name="attempt")),
                ("started_at", models.DateTimeField(editable=False, verbose_name="started at")),
                (
                    "status_code",
                    models.PositiveSmallIntegerField(editable=False, null=True, verbose_name="status code"),
                ),
                ("duration_ms", models.PositiveIntegerField(editable=False, verbose_name="duration (ms)")),
                (
                    "error",
                    models.CharField(
                        blank=True, default="", editable=False, max_length=500, verbose_name="error"
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("DELIVERED", "Delivered"),
                            ("RETRY", "Retry scheduled"),
                            ("FAILED", "Failed (gave up)"),
                        ],
                        editable=False,
                        max_length=10,
                        verbose_name="outcome",
                    ),
                ),
                (
                    "next_attempt_at",
                    models.DateTimeField(editable=False, null=True, verbose_name="next attempt at"),
                ),
                (
                    "delivery",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="attempt_history",
                        to="transactions.webhookdelivery",
                        verbose_name="delivery",
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook delivery attempt",
                "verbose_name_plural": "webhook delivery attempts",
                "ordering": ["delivery", "-number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("delivery", "number"), name="wh_attempt_delivery_number_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(sync_role_permissions, migrations.RunPython.noop),
    ]
