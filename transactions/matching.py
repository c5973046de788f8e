"""Row matching: does a bank row support a claim? One pure function, used by the verification's
decision table and by the admin's explanation of a bank answer (so both always agree).

A row supports the claim only if it is a credit (`CR`), its reference equals the claim's or one of
the two ends with the other's digits (at least 6: the bank finds a transfer by its tail and may
answer it without leading zeros), its currency is bolívares (`BS`/`VES`, padded or not) and, when
the claim has an amount, the amounts are equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from banking.results import BankRow
from transactions.models import ReasonCode

MIN_TAIL_DIGITS = 6
BOLIVAR_CODES = frozenset({"BS", "VES", "VED", "BSS", "BSD"})

# Per-row verdicts in the order they are checked: a row failing a later check is "closer" to the
# claim, so when no row supports it the closest row's verdict is the claim's reason.
_CLOSENESS = {
    ReasonCode.REFERENCE_MISMATCH: 0,
    ReasonCode.DEBIT: 1,
    ReasonCode.CURRENCY_MISMATCH: 2,
    ReasonCode.AMOUNT_MISMATCH: 3,
}


def _digits(value: str) -> str:
    return "".join(ch for ch in str(value or "") if ch.isdigit())


def references_match(bank_reference: str, claim_reference: str) -> bool:
    """Equal, or one ends with the other's digits (at least 6 of them), leading zeros ignored."""
    theirs, ours = _digits(bank_reference).lstrip("0"), _digits(claim_reference).lstrip("0")
    if not theirs or not ours:
        return False
    if theirs == ours:
        return True
    shorter, longer = sorted((theirs, ours), key=len)
    return len(shorter) >= MIN_TAIL_DIGITS and longer.endswith(shorter)


def is_bolivares(currency: str) -> bool:
    return str(currency or "").strip().upper() in BOLIVAR_CODES


def row_verdict(row: BankRow, *, reference: str, amount: Decimal | None) -> str:
    """`""` when the row supports the claim, else the ReasonCode of the first thing that differs."""
    if not references_match(row.reference, reference):
        return ReasonCode.REFERENCE_MISMATCH
    if not row.is_credit:
        return ReasonCode.DEBIT
    if not is_bolivares(row.currency):
        return ReasonCode.CURRENCY_MISMATCH
    if row.amount is None or (amount is not None and row.amount != Decimal(amount)):
        return ReasonCode.AMOUNT_MISMATCH
    return ""


@dataclass(frozen=True)
class Match:
    """The reading of one bank answer against one claim."""

    code: str  # ReasonCode.VERIFIED or why not
    verdicts: tuple[str, ...]  # one per row, "" = supports
    row: BankRow | None  # the supporting row (VERIFIED), or the one closest candidate otherwise

    @property
    def supported(self) -> bool:
        return self.code == ReasonCode.VERIFIED


def match_rows(rows, *, reference: str, amount: Decimal | None) -> Match:
    """Exactly one supporting row (and no debit of the same reference) -> VERIFIED; else the reason.

    Rows of other references are ignored when one row supports the claim (a pago móvil search by
    the last 6 digits may return other payments); a debit of the claim's reference (a reversal)
    always needs a person.
    """
    rows = tuple(rows)
    verdicts = tuple(row_verdict(r, reference=reference, amount=amount) for r in rows)
    supporting = [r for r, v in zip(rows, verdicts, strict=True) if not v]
    if ReasonCode.DEBIT in verdicts:
        return Match(ReasonCode.DEBIT, verdicts, rows[verdicts.index(ReasonCode.DEBIT)])
    if len(supporting) == 1:
        return Match(ReasonCode.VERIFIED, verdicts, supporting[0])
    if len(supporting) > 1:
        return Match(ReasonCode.SEVERAL_ROWS, verdicts, None)
    if not any(r.is_credit for r in rows):
        return Match(ReasonCode.NO_CREDIT, verdicts, None)
    code = max(verdicts, key=_CLOSENESS.__getitem__)
    candidates = [r for r, v in zip(rows, verdicts, strict=True) if v == code]
    return Match(code, verdicts, candidates[0] if len(candidates) == 1 else None)
