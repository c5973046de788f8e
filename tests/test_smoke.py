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
