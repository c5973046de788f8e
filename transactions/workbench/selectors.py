"""Reads for the workbench: a claim compared with bank rows field by field, the rows a search
found, the claim's previous look-ups and its status reason in plain words.

Whether a row supports the claim is `transactions.matching` (the same reading that
verification used); this module only lays the fields side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from banking.client import MOBILE
from banking.models import BankLookup
from banking.results import BankRow
from transactions import selectors as tx_selectors
from transactions.matching import is_bolivares, references_match, row_verdict
from transactions.models import ReasonCode, Transaction

MAX_LOOKUPS_SHOWN = 20
MAX_SEARCH_LOOKUPS = 31

PLAIN_REASONS = {
    ReasonCode.VERIFIED: _("The bank shows exactly one payment that matches the claim."),
    ReasonCode.AMOUNT_MISMATCH: _(
        "The bank has a payment with this reference, but its amount is not the one claimed."
    ),
    ReasonCode.REFERENCE_MISMATCH: _("The bank answered, but no payment carries the claimed reference."),
    ReasonCode.CURRENCY_MISMATCH: _("The bank's payment is not in bolívares."),
    ReasonCode.DEBIT: _("The bank shows a debit (money going out, e.g. a reversal) with this reference."),
    ReasonCode.NO_CREDIT: _("The bank answered without any incoming payment for this claim."),
    ReasonCode.SEVERAL_ROWS: _("Several bank payments fit the claim: a person must pick the right one."),
    ReasonCode.DUPLICATE_REFERENCE: _("The bank's payment was already used by another completed claim."),
    ReasonCode.NOT_FOUND_YET: _("The bank has not found the payment yet; it will be looked up again."),
    ReasonCode.NOT_FOUND_WINDOW: _(
        "The bank did not find the payment within the verification window: "
        "the customer may have mistyped the phone, date, bank or reference."
    ),
    ReasonCode.BANK_REFUSED: _("The bank refused the search (its data looks invalid to the bank)."),
    ReasonCode.BANK_UNREACHABLE: _("The bank could not be reached; it will be retried."),
    ReasonCode.CONFIG_FAULT: _("Our bank configuration is wrong; an operator must fix it."),
}


def reason_in_plain_words(claim: Transaction) -> str:
    if claim.status_reason_code in PLAIN_REASONS:
        return str(PLAIN_REASONS[claim.status_reason_code])
    if claim.status_reason:
        return claim.status_reason
    return str(_("Decided by a person (see the history)."))


@dataclass(frozen=True)
class FieldComparison:
    key: str
    label: str
    claim_value: str
    bank_value: str
    same: bool | None  # None: not comparable (shown only)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def compare_row(claim: Transaction, row: BankRow) -> list[FieldComparison]:
    """The claim's fields beside the bank row's: amount, reference, date, payer bank,
    phone/account, currency, concept (plus the movement type)."""
    amount_same = None if claim.amount is None or row.amount is None else row.amount == claim.amount
    date_same = (
        None if claim.payment_date is None or row.trn_date is None else (row.trn_date == claim.payment_date)
    )
    bank_same = None if not row.source_bank_id else row.source_bank_id == claim.payer_bank_code
    return [
        FieldComparison("amount", str(_("amount")), _text(claim.amount), _text(row.amount), amount_same),
        FieldComparison(
            "reference",
            str(_("reference")),
            claim.reference,
            row.reference,
            references_match(row.reference, claim.reference),
        ),
        FieldComparison("date", str(_("date")), _text(claim.payment_date), _text(row.trn_date), date_same),
        FieldComparison(
            "payer_bank", str(_("payer bank")), claim.payer_bank_code, row.source_bank_id, bank_same
        ),
        FieldComparison(
            "phone_account", str(_("phone / account")), claim.customer_phone, row.account_id, None
        ),
        FieldComparison("currency", str(_("currency")), "VES", row.currency, is_bolivares(row.currency)),
        FieldComparison("concept", str(_("concept")), claim.concept, row.concept, None),
        FieldComparison("type", str(_("movement")), "CR", row.trn_type, row.is_credit),
    ]


@dataclass(frozen=True)
class FoundRow:
    lookup: BankLookup
    index: int  # position of the row in its look-up's answer
    row: BankRow
    verdict: str  # "" supports the claim, else a ReasonCode (matching.row_verdict)
    comparisons: list[FieldComparison]
    used_by: Transaction | None  # another COMPLETED claim already holding this movement

    @property
    def choosable(self) -> bool:
        return self.used_by is None and self.row.is_credit


def search_lookups(claim: Transaction, lookup_ids) -> list[BankLookup]:
    """This claim's look-ups among `lookup_ids` (ids from the search's redirect), in their order."""
    ids = []
    for value in list(lookup_ids)[:MAX_SEARCH_LOOKUPS]:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            continue
    found = {lk.pk: lk for lk in BankLookup.objects.filter(pk__in=ids, claim_id=claim.pk)}
    return [found[i] for i in ids if i in found]


def found_rows(claim: Transaction, lookups: list[BankLookup]) -> list[FoundRow]:
    """Every row of these look-ups once (a day-by-day range returns a payment on several days),
    compared with the claim and flagged when another completed claim already used it."""
    seen = set()
    out = []
    for lookup in lookups:
        for index, row in enumerate(getattr(lookup.result(), "rows", ())):
            key = (row.reference, row.amount, row.trn_date, row.trn_time, row.trn_type, row.source_bank_id)
            if key in seen:
                continue
            seen.add(key)
            used_by = tx_selectors.reference_used_by_completed_claim(
                claim=claim, bank_reference=row.reference, mobile=lookup.mode == MOBILE
            )
            out.append(
                FoundRow(
                    lookup=lookup,
                    index=index,
                    row=row,
                    verdict=row_verdict(row, reference=claim.reference, amount=claim.amount),
                    comparisons=compare_row(claim, row),
                    used_by=used_by,
                )
            )
    return out


def previous_lookups(claim: Transaction, *, limit: int = MAX_LOOKUPS_SHOWN) -> list[BankLookup]:
    """The claim's look-ups, newest first: automatic ones (no requester) and people's searches."""
    return list(
        BankLookup.objects.filter(claim_id=claim.pk)
        .select_related("requested_by")
        .order_by("-created_at")[:limit]
    )
