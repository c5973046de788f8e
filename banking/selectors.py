"""Reads of the banking app."""

from __future__ import annotations

from .models import BankLookup


def last_successful_lookup() -> BankLookup | None:
    return (
        BankLookup.objects.filter(outcome__in=[BankLookup.Outcome.FOUND, BankLookup.Outcome.NOT_FOUND])
        .order_by("-created_at")
        .first()
    )
