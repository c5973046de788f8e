import pytest
from django.contrib.auth.models import Group

from accounts.roles import ROLES


@pytest.mark.django_db
def test_roles_exist_after_migrations():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)


@pytest.mark.django_db
def test_email_is_case_insensitive_unique(make_user):
    from django.db import IntegrityError, transaction

    from accounts.models import User

    make_user(email="Ana@Example.test")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="ANA@example.TEST")


@pytest.mark.django_db
def test_role_permissions_granted_by_migrations(make_user):
    from accounts.roles import AUDITOR, CLIENT, RECONCILER

    assert make_user(RECONCILER).has_perm("transactions.decide_transaction")
    assert make_user(AUDITOR).has_perm("transactions.view_all_transactions")
    assert not make_user(AUDITOR).has_perm("transactions.decide_transaction")
    assert not make_user(CLIENT).has_perm("transactions.view_all_transactions")


@pytest.mark.django_db(transaction=True)
def test_roles_survive_a_flush_between_transactional_tests():
    """A flush empties auth_group; the post_migrate handler re-creates the roles with perms."""
    from django.core.management import call_command

    call_command("flush", "--noinput", verbosity=0)
    assert Group.objects.filter(name__in=ROLES).count() == len(ROLES)
    assert Group.objects.get(name="reconciler").permissions.filter(codename="decide_transaction").exists()
