"""Reconcilers' notes on a claim: one `transaction.commented` audit event each.

The audit trail is append-only, so a note can never be edited or deleted; a correction is a new
note. Notes show in the claim's history timeline with their author and time.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from audit import services as audit_services
from audit.actions import TRANSACTION_COMMENTED
from audit.models import AuditEvent
from config.errors import NotFound, PermissionDenied, ValidationFailed
from transactions.models import Transaction
from transactions.workbench.assignment import DECIDE_PERMISSION, claim_renew

MAX_NOTE_LENGTH = 2000


def claim_add_note(*, claim, actor, text: str, request=None) -> AuditEvent:
    """Append a note to the claim's history (reason = the note's text)."""
    if actor is None or not actor.is_active or not actor.has_perm(DECIDE_PERMISSION):
        raise PermissionDenied(_("You may not add notes to claims."))
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("A note cannot be empty."), details={"text": [_("Required.")]})
    if len(text) > MAX_NOTE_LENGTH:
        raise ValidationFailed(
            _("A note has at most %(n)d characters.") % {"n": MAX_NOTE_LENGTH}, details={"text": ["max"]}
        )
    pk = claim.pk if isinstance(claim, Transaction) else claim
    with transaction.atomic():
        locked = Transaction.objects.alive().filter(pk=pk).first()
        if locked is None:
            raise NotFound(_("Payment claim not found."))
        event = audit_services.record(
            action=TRANSACTION_COMMENTED,
            actor=actor,
            target=locked,
            reason=text,
            metadata={"note": True, "status": locked.status},
            request=request,
        )
    claim_renew(claim=locked, actor=actor)
    return event
