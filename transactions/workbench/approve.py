""" "Approve with this row": complete a claim with a bank row a reconciler found by searching.

One service call, one DB transaction, the claim's row lock, one audit event
(`transaction.status_changed` holding the row, its look-up and the search parameters);
`decided_lookup` becomes the search's BankLookup. A row another COMPLETED claim already used, or a
debit, cannot be chosen: refused here, whatever the page showed. Two claims racing for one row are
serialised by a transaction-level advisory lock on the row's reference tail.
"""

from __future__ import annotations

import zlib

from django.db import connection, transaction
from django.utils.translation import gettext as _

from banking.client import MOBILE
from banking.models import BankLookup
from config.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from transactions import selectors, services
from transactions.evidence import movement_dict
from transactions.matching import row_verdict
from transactions.models import Status, Transaction
from transactions.workbench.assignment import DECIDE_PERMISSION, claim_renew

ROW_LOCK_KEY = 0x616D726F  # "amro": namespace of the advisory locks on a bank movement


def _lock_movement(reference: str) -> None:
    digits = "".join(ch for ch in reference if ch.isdigit()).lstrip("0")[-6:] or reference
    key = zlib.crc32(digits.encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ROW_LOCK_KEY, key - (1 << 31)])


def claim_approve_with_row(
    *,
    claim,
    actor,
    lookup_id,
    row_index: int,
    reason: str,
    search_lookup_ids=(),
    expected_status: str = Status.TO_REVIEW,
    confirm_takeover: bool = False,
) -> Transaction:
    """Complete the claim with row `row_index` of its look-up `lookup_id` as the evidence.

    Raises PermissionDenied, ValidationFailed (no reason), NotFound (claim, look-up of another
    claim, row), Conflict: `row_not_credit`, `reference_used` (another COMPLETED claim holds the
    movement), `status_changed`, `assigned_to_other` (without `confirm_takeover`).
    """
    if actor is None or not actor.is_active or not actor.has_perm(DECIDE_PERMISSION):
        raise PermissionDenied(_("You may not decide claims under review."))
    if not (reason or "").strip():
        raise ValidationFailed(
            _("A reason is required for this decision."), details={"reason": [_("Required.")]}
        )
    pk = claim.pk if isinstance(claim, Transaction) else claim
    with transaction.atomic():
        try:
            locked = Transaction.objects.select_for_update().get(pk=pk, deleted_at__isnull=True)
        except (Transaction.DoesNotExist, ValueError):
            raise NotFound(_("Payment claim not found.")) from None
        lookup = BankLookup.objects.filter(pk=lookup_id, claim_id=locked.pk).first()
        rows = tuple(getattr(lookup.result(), "rows", ())) if lookup is not None else ()
        if lookup is None or not 0 <= int(row_index) < len(rows):
            raise NotFound(_("That bank row is not one of this claim's searches."))
        row = rows[int(row_index)]
        if not row.is_credit:
            raise Conflict(_("A debit movement cannot be a claim's payment."), code="row_not_credit")
        _lock_movement(row.reference)
        used_by = selectors.reference_used_by_completed_claim(
            claim=locked, bank_reference=row.reference, mobile=lookup.mode == MOBILE
        )
        if used_by is not None:
            raise Conflict(
                _("This bank movement already completed claim %(tid)s.") % {"tid": used_by.transaction_id},
                code="reference_used",
                details={"transaction_id": used_by.transaction_id},
            )
        verdict = row_verdict(row, reference=locked.reference, amount=locked.amount)
        search_ids = [int(i) for i in search_lookup_ids if str(i).isdigit()][:31] or [lookup.pk]
        updated = services.transition(
            claim=locked,
            to_status=Status.COMPLETED,
            actor=actor,
            reason=reason,
            expected_status=expected_status,
            confirm_takeover=confirm_takeover,
            extra_fields={
                "decided_lookup": lookup,
                "banesco_payload": lookup.body,
                "bank_amount": row.amount,
            },
            metadata={
                "approved_with_row": movement_dict(row, verdict),
                "row_index": int(row_index),
                "lookup_id": lookup.pk,
                "search": lookup.request,
                "search_lookup_ids": search_ids,
            },
        )
    claim_renew(claim=updated, actor=actor)
    return updated
