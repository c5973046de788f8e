import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import AUDITOR, CLIENT, RECONCILER
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_client_role_and_anonymous_cannot_use_admin(client_user):
    anonymous = Client().get(reverse("admin:index"))
    assert anonymous.status_code == 302 and reverse("admin:login") in anonymous["Location"]
    client = Client()
    client.force_login(client_user)
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_admin_adds_user_through_the_service(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New.Rec@Example.test",
            "full_name": "Nuevo Conciliador",
            "password1": "Admin-made-pass-2026",
            "password2": "Admin-made-pass-2026",
            "roles": [RECONCILER],
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(email="new.rec@example.test")
    assert user.roles == [RECONCILER] and user.is_staff and user.check_password("Admin-made-pass-2026")
    event = AuditEvent.objects.get(action="accounts.user_created", target_id=str(user.pk))
    assert event.actor_id == admin_user.pk
    assert AuditEvent.objects.filter(action="accounts.role_granted", target_id=str(user.pk)).count() == 1


def test_admin_changes_roles_and_profile_audited(admin_client, make_user):
    user = make_user(CLIENT, full_name="Old")
    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {"email": user.email, "full_name": "New Name", "roles": [AUDITOR], "_save": "Save"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert user.full_name == "New Name" and user.roles == [AUDITOR] and user.is_staff
    actions = set(AuditEvent.objects.filter(target_id=str(user.pk)).values_list("action", flat=True))
    assert {"admin.action", "accounts.role_granted", "accounts.role_revoked"} <= actions


def test_admin_deactivate_action_and_no_hard_delete(admin_client, make_user):
    victim = make_user(CLIENT)
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [str(victim.pk)]},
    )
    assert response.status_code == 302
    victim.refresh_from_db()
    assert victim.is_active is False and victim.deleted_at is not None
    assert AuditEvent.objects.filter(action="accounts.user_deactivated", target_id=str(victim.pk)).exists()
    assert admin_client.get(reverse("admin:accounts_user_delete", args=[victim.pk])).status_code == 403
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [str(victim.pk)], "post": "yes"},
    )
    assert User.objects.filter(pk=victim.pk).exists()


def test_group_permission_change_is_audited(admin_user, make_user):
    superuser = make_user(None, email="root@example.test", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(superuser)
    group = Group.objects.get(name=AUDITOR)
    before = set(group.permissions.values_list("pk", flat=True))
    extra = Permission.objects.get(content_type__app_label="transactions", codename="reverify_transaction")
    response = client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"permissions": [*before, extra.pk], "_save": "Save"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="accounts.permission_changed", target_id=str(group.pk))
    assert event.metadata["added"] == ["transactions.reverify_transaction"]
    assert event.actor_id == superuser.pk
    group.refresh_from_db()
    assert group.name == AUDITOR  # role groups cannot be renamed
    assert client.get(reverse("admin:auth_group_delete", args=[group.pk])).status_code == 403
