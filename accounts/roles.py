"""Roles are Django Groups. This module is the single source of which permissions each role has.

Groups are created by `accounts/migrations/0002_roles.py`. Apps that add permissions later call
`sync_role_permissions(apps)` from a data migration of their own (after creating their
permissions), so a fresh database and an upgraded one end up identical.
"""

CLIENT = "client"
RECONCILER = "reconciler"
AUDITOR = "auditor"
ADMIN = "admin"
# The product's manager UI (cashiers and managers, `/api/manager/v1/`): creates claims, reads and
# searches all of them, re-verifies, soft-deletes non-final ones. No admin-site access.
MANAGER = "manager"
ROLES = (CLIENT, RECONCILER, AUDITOR, ADMIN, MANAGER)

# "app_label.codename" per role. Missing permissions (app not migrated yet) are skipped.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    CLIENT: [
        "transactions.add_transaction",
        "transactions.view_transaction",
        "transactions.cancel_transaction",
        "transactions.reverify_transaction",  # own claims only (transactions.verification_queue)
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
    ],
    ADMIN: [
        "transactions.view_transaction",
        "transactions.view_all_transactions",
        "transactions.decide_transaction",
        "transactions.reverify_transaction",
        "transactions.reopen_transaction",
        "transactions.view_webhookendpoint",
        "transactions.view_webhookdelivery",
        "transactions.view_webhookdeliveryattempt",  # the attempts inline on a delivery
        "transactions.redeliver_webhookdelivery",
        "audit.view_auditevent",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "auth.view_group",
        "auth.change_group",
    ],
    MANAGER: [
        "transactions.add_transaction",
        "transactions.view_transaction",
        "transactions.view_all_transactions",
        "transactions.reverify_transaction",
        "transactions.delete_transaction",
    ],
}


def _assign(Group, Permission) -> None:
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in ROLE_PERMISSIONS[role]:
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.set(wanted)


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

    _assign(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def ensure_roles_after_migrate(sender, using="default", apps=None, **kwargs) -> None:
    """post_migrate handler: re-create missing role groups with their permissions.

    Runs after `migrate` and after `flush` (which empties auth_group but re-emits post_migrate,
    e.g. between transactional tests), so a database is never left without its roles.
    Permissions of apps later in INSTALLED_APPS are created first so every role is complete.
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    if Group.objects.using(using).filter(name__in=ROLES).count() == len(ROLES):
        return
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    _assign(Group, Permission)
