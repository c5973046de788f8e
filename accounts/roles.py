"""Roles are Django Groups. This module is the single source of which permissions each role has.

Groups are created by `accounts/migrations/0002_roles.py`. Apps that add permissions later call
`sync_role_permissions(apps)` from a data migration of their own (after creating their
permissions), so a fresh database and an upgraded one end up identical.
"""

CLIENT = "client"
RECONCILER = "reconciler"
AUDITOR = "auditor"
ADMIN = "admin"
ROLES = (CLIENT, RECONCILER, AUDITOR, ADMIN)

# "app_label.codename" per role. Missing permissions (app not migrated yet) are skipped.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    CLIENT: [
        "transactions.add_transaction",
        "transactions.view_transaction",
        "transactions.cancel_transaction",
    ],
    RECONCILER: [
        "transactions.view_transaction",
        "transactions.view_all_transactions",
        "transactions.decide_transaction",
        "transactions.reverify_transaction",
        "audit.view_auditevent",
    ],
    AUDITOR: [
        "transactions.view_transaction",
        "transactions.view_all_transactions",
        "audit.view_auditevent",
        "accounts.view_user",
    ],
    ADMIN: [
        "transactions.view_transaction",
        "transactions.view_all_transactions",
        "transactions.decide_transaction",
        "transactions.reverify_transaction",
        "transactions.reopen_transaction",
        "audit.view_auditevent",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "auth.view_group",
        "auth.change_group",
    ],
}


def sync_role_permissions(apps, schema_editor=None) -> None:
    """Create the role groups if missing and set each one's permissions (idempotent).

    Call with the migration `apps` registry. Creates pending permissions of every installed
    app first so that permissions declared in `Meta.permissions` exist.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in ROLE_PERMISSIONS[role]:
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.set(wanted)
