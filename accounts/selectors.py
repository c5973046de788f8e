"""Reads on users."""

from __future__ import annotations

from accounts.models import User
from accounts.roles import ROLES


def user_roles(*, user: User) -> list[str]:
    return sorted(user.groups.filter(name__in=ROLES).values_list("name", flat=True))


def user_permissions(*, user: User) -> list[str]:
    return sorted(user.get_all_permissions())


def user_summary(*, user: User) -> dict:
    return {"id": user.pk, "email": user.email, "full_name": user.full_name, "roles": user_roles(user=user)}


def user_profile(*, user: User) -> dict:
    return {
        **user_summary(user=user),
        "is_staff": user.is_staff,
        "permissions": user_permissions(user=user),
    }


def user_manager_profile(*, user: User) -> dict:
    """The user as the manager UI reads it (`src/types/user.ts`); users have no phone or id."""
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "phone": None,
        "national_id": None,
        "is_active": user.is_active,
        "is_verified": user.can_login,
        "permissions": user_permissions(user=user),
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }
