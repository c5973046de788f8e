"""Clients may ask for a bank re-check of their own claims (POST …/verify/): the client role gets
`transactions.reverify_transaction` (accounts/roles.py); the service limits clients to their own claims."""

from django.db import migrations

from accounts.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("transactions", "0004_amountless_claims_reason_codes"),
        ("accounts", "0004_manager_role"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
