"""The Users admin (built by accounts): only admins manage users; roles and deactivation are audited."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_reconciler_cannot_open_users(reconciler_user, login):
    c = login(reconciler_user)
    assert c.get(reverse("admin:accounts_user_changelist")).status_code == 403
    assert c.get(reverse("admin:accounts_user_add")).status_code == 403


def test_auditor_cannot_change_users(auditor_user, make_user, login):
    target = make_user("client")
    c = login(auditor_user)
    response = c.post(
        reverse("admin:accounts_user_change", args=[target.pk]),
        {"email": target.email, "full_name": "x", "roles": ["admin"]},
    )
    assert response.status_code == 403
    assert target.roles == ["client"]


def test_admin_assigns_roles_audited(admin_user, make_user, login):
    target = make_user("client", full_name="Ana")
    c = login(admin_user)
    response = c.post(
        reverse("admin:accounts_user_change", args=[target.pk]),
        {"email": target.email, "full_name": "Ana", "roles": ["reconciler"]},
    )
    assert response.status_code == 302, response.content[:3000]
    target.refresh_from_db()
    assert target.roles == ["reconciler"]
    actions = set(
        AuditEvent.objects.filter(target_id=str(target.pk), actor=admin_user).values_list("action", flat=True)
    )
    assert {"accounts.role_granted", "accounts.role_revoked"} <= actions


def test_admin_deactivates_users_audited(admin_user, make_user, login):
    target = make_user("reconciler", is_staff=True)
    c = login(admin_user)
    response = c.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate_users", "index": "0", ACTION_CHECKBOX_NAME: [str(target.pk)]},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    assert AuditEvent.objects.filter(action="accounts.user_deactivated", target_id=str(target.pk)).exists()


def test_auditor_cannot_open_users_admin(auditor_user, login):
    """Issue 6: the Users admin is for admins only (auditors read the audit trail instead)."""
    c = login(auditor_user)
    assert c.get(reverse("admin:accounts_user_changelist")).status_code == 403
