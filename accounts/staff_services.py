"""Services behind the admin's user and role pages that are not one user's change (those are
accounts.services): a bulk deactivation, a role group's permission change. Each writes its audit
event here, so the admin only calls services."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from accounts import events as actions
from accounts import services
from accounts.events import record
from config.errors import ApplicationError


def users_deactivate(*, users: Iterable, actor, reason: str = "admin action") -> tuple[int, list[str]]:
    """Deactivate each user through `services.user_deactivate` (one savepoint each, so one refusal
    does not undo the others) and audit the action as a whole. Returns (done, failures as
    "email: message")."""
    done, failed = 0, []
    with transaction.atomic():
        for user in users:
            try:
                with transaction.atomic():
                    services.user_deactivate(user=user, actor=actor, reason=reason)
                done += 1
            except ApplicationError as exc:
                failed.append(f"{user.email}: {exc.message}")
        record(
            action=actions.ADMIN_ACTION,
            actor=actor,
            metadata={"action": "accounts.deactivate_users", "count": done, "failed": len(failed)},
        )
    return done, failed


def group_permissions_changed(*, group, actor, before: list[str], after: list[str]) -> None:
    """Audit a role group's permission change (saved by the admin form); nothing when unchanged."""
    if before == after:
        return
    record(
        action=actions.ACCOUNTS_PERMISSION_CHANGED,
        actor=actor,
        target=group,
        before={"permissions": before},
        after={"permissions": after},
        metadata={
            "group": group.name,
            "added": sorted(set(after) - set(before)),
            "removed": sorted(set(before) - set(after)),
        },
    )
