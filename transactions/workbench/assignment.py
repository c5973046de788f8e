"""Who is working a claim: "take", "release", "next claim", and the check before a decision.

A claim taken by a reconciler shows as theirs until `assigned_until` (WORKBENCH_ASSIGNMENT_MINUTES,
renewed while they act on it or reload its page). Taking, taking over and releasing are audited
(`transaction.assigned` / `transaction.released`); a renewal only moves the expiry (not audited).
Another person deciding an assigned claim must confirm it (`confirm_takeover`), enforced by
`transactions.services.transition` through `held_by_other`.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit_services
from audit.actions import TRANSACTION_ASSIGNED, TRANSACTION_RELEASED
from config.errors import Conflict, NotFound, PermissionDenied
from transactions.models import Status, Transaction

DECIDE_PERMISSION = "transactions.decide_transaction"
ASSIGNED_TO_OTHER = "assigned_to_other"


def assignment_ttl() -> timedelta:
    return timedelta(minutes=max(1, int(getattr(settings, "WORKBENCH_ASSIGNMENT_MINUTES", 30))))


def current_assignee_id(claim: Transaction, *, now=None):
    """The id of the reconciler holding the claim now, or None (never taken, released or expired)."""
    now = now or timezone.now()
    if claim.assigned_to_id and claim.assigned_until and claim.assigned_until > now:
        return claim.assigned_to_id
    return None


def held_by_other(claim: Transaction, actor, *, now=None):
    """The assignee's id when the claim is held by someone other than `actor`, else None."""
    holder = current_assignee_id(claim, now=now)
    if holder is None or actor is None or holder == actor.pk:
        return None
    return holder


def assigned_conflict(claim: Transaction) -> Conflict:
    label = str(claim.assigned_to) if claim.assigned_to_id else ""
    return Conflict(
        _("This claim is being worked by %(who)s; confirm to act on it anyway.") % {"who": label},
        code=ASSIGNED_TO_OTHER,
        details={"assigned_to": label},
    )


def _require_reconciler(actor) -> None:
    if actor is None or not actor.is_active or not actor.has_perm(DECIDE_PERMISSION):
        raise PermissionDenied(_("You may not work on claims under review."))


def _lock(claim) -> Transaction:
    pk = claim.pk if isinstance(claim, Transaction) else claim
    try:
        return (
            Transaction.objects.select_for_update(of=("self",))
            .select_related("assigned_to")
            .get(pk=pk, deleted_at__isnull=True)
        )
    except (Transaction.DoesNotExist, ValueError):
        raise NotFound(_("Payment claim not found.")) from None


def _assign(locked: Transaction, actor, *, now, request=None, how: str) -> Transaction:
    previous = current_assignee_id(locked, now=now)
    before = {
        "assigned_to": str(locked.assigned_to) if previous else "",
        "assigned_until": locked.assigned_until.isoformat() if previous else "",
    }
    locked.assigned_to = actor
    locked.assigned_until = now + assignment_ttl()
    locked.save(update_fields=["assigned_to", "assigned_until", "updated_at"])
    audit_services.record(
        action=TRANSACTION_ASSIGNED,
        actor=actor,
        target=locked,
        before=before,
        after={"assigned_to": str(actor), "assigned_until": locked.assigned_until.isoformat()},
        metadata={"how": how, "takeover": bool(previous and previous != actor.pk)},
        request=request,
    )
    return locked


def claim_take(*, claim, actor, confirm_takeover: bool = False, request=None) -> Transaction:
    """Assign the claim to `actor` (or renew it when already theirs). Taking over a claim another
    reconciler holds needs `confirm_takeover`; otherwise Conflict(assigned_to_other)."""
    _require_reconciler(actor)
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(claim)
        if held_by_other(locked, actor, now=now) and not confirm_takeover:
            raise assigned_conflict(locked)
        if current_assignee_id(locked, now=now) == actor.pk:
            return _renew_locked(locked, now=now)
        return _assign(locked, actor, now=now, request=request, how="take")


def claim_release(*, claim, actor, request=None) -> Transaction:
    """Give the claim back to the queue (only its assignee releases it; nothing to do otherwise)."""
    _require_reconciler(actor)
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(claim)
        holder = current_assignee_id(locked, now=now)
        if holder is None:
            return locked
        if holder != actor.pk:
            raise assigned_conflict(locked)
        before = {"assigned_to": str(locked.assigned_to), "assigned_until": locked.assigned_until.isoformat()}
        locked.assigned_to = None
        locked.assigned_until = None
        locked.save(update_fields=["assigned_to", "assigned_until", "updated_at"])
        audit_services.record(
            action=TRANSACTION_RELEASED,
            actor=actor,
            target=locked,
            before=before,
            after={"assigned_to": "", "assigned_until": ""},
            request=request,
        )
        return locked


def _renew_locked(locked: Transaction, *, now) -> Transaction:
    locked.assigned_until = now + assignment_ttl()
    locked.save(update_fields=["assigned_until"])
    return locked


def claim_renew(*, claim, actor) -> bool:
    """Push the expiry of `actor`'s own, still valid assignment forward (one UPDATE, no audit)."""
    if actor is None or not getattr(actor, "pk", None):
        return False
    now = timezone.now()
    pk = claim.pk if isinstance(claim, Transaction) else claim
    renewed = Transaction.objects.filter(pk=pk, assigned_to=actor, assigned_until__gt=now).update(
        assigned_until=now + assignment_ttl()
    )
    if renewed and isinstance(claim, Transaction):
        claim.assigned_until = now + assignment_ttl()
    return bool(renewed)


def next_claim(*, actor, request=None) -> Transaction | None:
    """Take the oldest TO_REVIEW claim nobody holds (never taken, released or expired), atomically:
    SELECT … FOR UPDATE SKIP LOCKED, so two reconcilers asking at once never get the same claim."""
    _require_reconciler(actor)
    now = timezone.now()
    with transaction.atomic():
        pk = (
            Transaction.objects.alive()
            .filter(status=Status.TO_REVIEW)
            .exclude(assigned_until__gt=now, assigned_to__isnull=False)
            .order_by("created_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
            .first()
        )
        if pk is None:
            return None
        locked = _lock(pk)
        return _assign(locked, actor, now=now, request=request, how="next")
