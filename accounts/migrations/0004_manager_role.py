"""The `manager` role (issue 15): the group and its permissions from accounts/roles.py."""

from django.db import migrations

from accounts.roles import MANAGER, sync_role_permissions


def remove_manager_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=MANAGER).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_auditor_without_users_admin"), ("transactions", "0003_search_indexes")]

    operations = [migrations.RunPython(sync_role_permissions, remove_manager_role)]
