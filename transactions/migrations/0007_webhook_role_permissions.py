from django.db import migrations

from accounts.roles import sync_role_permissions


class Migration(migrations.Migration):
    """Admins see webhook endpoints and deliveries in the admin and may redeliver."""

    dependencies = [("transactions", "0006_webhooks"), ("accounts", "0004_manager_role")]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
