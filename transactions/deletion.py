"""Soft delete of payment claims (a write service of its own, beside transactions.services).

Nothing financial is ever hard-deleted. A soft-deleted claim (`deleted_at` set) keeps its row,
its status and its audit trail, but it leaves every working set: the API lists and reads (404),
the reconcilers' TO_REVIEW queue and dashboard, the verification sweep and workers, exports.
Its (reference, type) becomes free for a new claim. COMPLETED claims cannot be deleted: money was
received and the record must stay where reconcilers and reports see it.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit_services
from audit.actions import TRANSACTION_DELETED
from config.errors import Conflict, NotFound, PermissionDenied
from transactions.models import Status, Transaction

DELETE_PERMISSION = "transactions.delete_transaction"


def _soft_delete_locked(*, claim: Transaction, actor, now) -> Transaction:
    if claim.status == Status.COMPLETED:
        raise Conflict(
            _("A completed payment claim cannot be deleted."),
            code="claim_completed",
            details={"id": str(claim.pk), "status": claim.status},
        )
    claim.deleted_at = now
    claim.save(update_fields=["deleted_at", "updated_at"])
    audit_services.record(
        action=TRANSACTION_DELETED,
        actor=actor,
        target=claim,
        before={"deleted_at": None},
        after={"deleted_at": now.isoformat()},
        metadata={"status": claim.status},
    )
    return claim


def claims_soft_delete(*, claim_ids, actor, visible_to=None) -> list[Transaction]:
    """Soft-delete several claims at once: all or nothing, one audit event per claim.

    Needs `transactions.delete_transaction`. Rows are locked in primary-key order (no deadlock
    between two overlapping bulk deletes), the status is checked after the lock. Any id that is
    unknown, already deleted or not readable by `visible_to` (a queryset filter: the caller's
    visibility) -> NotFound; any COMPLETED claim -> Conflict; in both cases nothing is deleted.
    """
    if actor is None or not actor.has_perm(DELETE_PERMISSION):
        raise PermissionDenied(_("You may not delete payment claims."))
    ids = []
    for raw in claim_ids:
        try:
            ids.append(uuid.UUID(str(raw)))
        except ValueError:
            raise NotFound(_("Payment claim not found."), details={"id": str(raw)[:64]}) from None
    ids = sorted(set(ids))
    with transaction.atomic():
        qs = Transaction.objects.alive() if visible_to is None else visible_to
        locked = {c.pk: c for c in qs.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")}
        missing = [str(pk) for pk in ids if pk not in locked]
        if missing:
            raise NotFound(_("Payment claim not found."), details={"ids": missing})
        now = timezone.now()
        return [_soft_delete_locked(claim=locked[pk], actor=actor, now=now) for pk in ids]


def claim_soft_delete(*, claim_id, actor, visible_to=None) -> Transaction:
    """Soft-delete one claim (see `claims_soft_delete`)."""
    return claims_soft_delete(claim_ids=[claim_id], actor=actor, visible_to=visible_to)[0]
