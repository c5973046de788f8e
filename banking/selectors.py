"""Reads of the banking app."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from transactions.models import VERIFIABLE_STATUSES, Status, Transaction

from .models import BankLookup


def claims_due_for_verification(*, now=None):
    """Alive IN_PROGRESS/UNKNOWN claims whose next verification time has come (or was never set)."""
    now = now or timezone.now()
    return (
        Transaction.objects.alive()
        .filter(status__in=VERIFIABLE_STATUSES)
        .filter(Q(next_verification_at__lte=now) | Q(next_verification_at__isnull=True))
    )


def reference_used_by_completed_claim(*, claim, bank_reference: str, mobile: bool) -> Transaction | None:
    """Another alive COMPLETED claim of the same type that already used this bank movement.

    Transfers match on the full reference (leading zeros ignored). Pago móvil searches only see the
    last 6 digits, so there a claim with the same last 6 digits and the same payer phone counts.
    """
    digits = "".join(ch for ch in bank_reference if ch.isdigit()) or bank_reference
    qs = (
        Transaction.objects.alive()
        .filter(status=Status.COMPLETED, transaction_type=claim.transaction_type)
        .exclude(pk=claim.pk)
    )
    if mobile:
        qs = qs.filter(reference__endswith=digits[-6:], customer_phone=claim.customer_phone)
    else:
        qs = qs.filter(reference__regex=rf"^0*{digits.lstrip('0') or '0'}$")
    return qs.order_by("created_at").first()


def last_successful_lookup() -> BankLookup | None:
    return (
        BankLookup.objects.filter(outcome__in=[BankLookup.Outcome.FOUND, BankLookup.Outcome.NOT_FOUND])
        .order_by("-created_at")
        .first()
    )


def lookup_counts_since(*, since) -> dict[str, int]:
    from django.db.models import Count

    rows = BankLookup.objects.filter(created_at__gte=since).values("outcome").annotate(n=Count("id"))
    return {row["outcome"]: row["n"] for row in rows}
