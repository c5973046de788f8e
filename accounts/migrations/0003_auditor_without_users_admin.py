"""Users admin is for admins only: auditors lose accounts.view_user (issue 6)."""

from django.db import migrations

from accounts.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles"), ("transactions", "0002_role_permissions")]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
