"""Reads on users."""

from __future__ import annotations

from accounts.models import User
from accounts.roles import ROLES


def user_roles(*, user: User) -> list[str]:
    return sorted(user.groups.filter(name__in=ROLES).values_list("name", flat=True))


def user_summary(*, user: User) -> dict:
    return {"id": user.pk, "email": user.email, "full_name": user.full_name, "roles": user_roles(user=user)}


def user_profile(*, user: User) -> dict:
    return {
        **user_summary(user=user),
        "is_staff": user.is_staff,
        "permissions": sorted(user.get_all_permissions()),
    }
