import pytest
from django.contrib.auth.models import Group
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.models import User
from accounts.roles import ADMIN, AUDITOR, CLIENT, RECONCILER
from audit.models import AuditEvent
from config.errors import Conflict, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


def _actions(user):
    return list(
        AuditEvent.objects.filter(target_id=str(user.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def test_user_create_with_roles_is_audited_and_staff_follows_roles(admin_user):
    user = services.user_create(
        email=" New.Person@Example.TEST ",
        password="Long-enough-pass-1",
        full_name="Nueva",
        roles=[AUDITOR],
        actor=admin_user,
    )
    assert user.email == "new.person@example.test"
    assert user.check_password("Long-enough-pass-1")
    assert user.is_staff is True
    assert user.roles == [AUDITOR]
    assert _actions(user) == ["accounts.user_created", "accounts.role_granted"]
    created = AuditEvent.objects.get(action="accounts.user_created", target_id=str(user.pk))
    assert created.actor_id == admin_user.pk
    assert "Long-enough-pass-1" not in str(created.after) and "password" not in created.after


def test_client_role_never_staff():
    user = services.user_create(email="c@example.test", password="Long-enough-pass-1", roles=[CLIENT])
    assert user.is_staff is False
    assert (
        AuditEvent.objects.get(action="accounts.user_created", target_id=str(user.pk)).actor_type == "SYSTEM"
    )


def test_user_create_rejects_bad_input_without_partial_writes(make_user):
    make_user(CLIENT, email="taken@example.test")
    with pytest.raises(Conflict):
        services.user_create(email="TAKEN@example.test", password="Long-enough-pass-1")
    with pytest.raises(ValidationFailed):
        services.user_create(email="x@example.test", password="Long-enough-pass-1", roles=["superhero"])
    with pytest.raises(ValidationFailed) as exc:
        services.user_create(email="y@example.test", password="short")
    assert "password" in exc.value.details["fields"]
    with pytest.raises(ValidationFailed):
        services.user_create(email="not an email", password="Long-enough-pass-1")
    assert not User.objects.filter(email__in=["x@example.test", "y@example.test"]).exists()
    assert not AuditEvent.objects.filter(action="accounts.user_created").exists()


def test_permissions_checked_for_actors(client_user, auditor_user, make_user):
    with pytest.raises(PermissionDenied):
        services.user_create(email="z@example.test", password="Long-enough-pass-1", actor=client_user)
    target = make_user(CLIENT)
    with pytest.raises(PermissionDenied):
        services.user_set_roles(user=target, roles=[ADMIN], actor=auditor_user)
    with pytest.raises(PermissionDenied):
        services.user_deactivate(user=target, actor=client_user)
    target.refresh_from_db()
    assert target.roles == [CLIENT] and target.is_active


def test_set_roles_records_grants_and_revocations(admin_user, make_user):
    user = make_user(CLIENT)
    services.user_set_roles(user=user, roles=[RECONCILER, AUDITOR], actor=admin_user)
    user.refresh_from_db()
    assert user.roles == [AUDITOR, RECONCILER]
    assert user.is_staff
    granted = AuditEvent.objects.filter(action="accounts.role_granted", target_id=str(user.pk))
    revoked = AuditEvent.objects.filter(action="accounts.role_revoked", target_id=str(user.pk))
    assert sorted(e.after["role"] for e in granted) == [AUDITOR, RECONCILER]
    assert [e.before["role"] for e in revoked] == [CLIENT]
    # no-op: no new events
    services.user_set_roles(user=user, roles=[AUDITOR, RECONCILER], actor=admin_user)
    assert AuditEvent.objects.filter(target_id=str(user.pk)).count() == 3
    services.user_set_roles(user=user, roles=[CLIENT], actor=admin_user)
    user.refresh_from_db()
    assert user.is_staff is False


def test_admin_cannot_remove_own_admin_role_or_deactivate_self(admin_user):
    with pytest.raises(ValidationFailed):
        services.user_set_roles(user=admin_user, roles=[AUDITOR], actor=admin_user)
    with pytest.raises(ValidationFailed):
        services.user_deactivate(user=admin_user, actor=admin_user)


def test_deactivate_is_soft_revokes_refresh_tokens_and_is_idempotent(admin_user, make_user, api_client):
    user = make_user(CLIENT)
    refresh = RefreshToken.for_user(user)
    services.user_deactivate(user=user, actor=admin_user, reason="left the company")
    user.refresh_from_db()
    assert user.is_active is False and user.deleted_at is not None
    assert User.objects.filter(pk=user.pk).exists()  # never hard-deleted
    assert BlacklistedToken.objects.filter(token__jti=refresh["jti"]).exists()
    event = AuditEvent.objects.get(action="accounts.user_deactivated", target_id=str(user.pk))
    assert event.reason == "left the company"
    assert event.metadata["refresh_tokens_revoked"] == 1
    services.user_deactivate(user=user, actor=admin_user)
    assert AuditEvent.objects.filter(action="accounts.user_deactivated", target_id=str(user.pk)).count() == 1


def test_role_groups_exist():
    assert set(Group.objects.values_list("name", flat=True)) >= {CLIENT, RECONCILER, AUDITOR, ADMIN}
