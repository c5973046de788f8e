"""The decision table (DESIGN.md section 3): one bank answer -> the claim's next status.

Pure apart from the duplicate-reference read. Rows are judged by `matching.match_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from banking.client import BANESCO_BANK_ID, INTERBANK, MOBILE, TRANSFER, LookupQuery
from banking.conf import BanescoConfig
from banking.results import Found, LookupResult, PermanentFailure
from banking.results import NotFound as BankNotFound
from transactions import selectors
from transactions.matching import Match, match_rows
from transactions.models import Bank, ReasonCode, Status, Transaction


@dataclass
class Decision:
    to_status: str
    reason: str
    next_verification_at: datetime | None
    code: str = ""  # transactions.models.ReasonCode
    bank_amount: Decimal | None = None


def query_for_claim(claim: Transaction) -> LookupQuery:
    """The look-up mode is chosen from the claim: pago móvil, Banesco→Banesco or interbank."""
    if claim.bank == Bank.MOBILE_TRANSFER:
        mode = MOBILE
    elif claim.payer_bank_code == BANESCO_BANK_ID:
        mode = TRANSFER
    else:
        mode = INTERBANK
    return LookupQuery.build(
        mode=mode,
        reference=claim.reference,
        bank_id=claim.payer_bank_code,
        phone=claim.customer_phone,
        start_date=claim.payment_date,
    )


# -- the mapping of DESIGN.md section 3 -----------------------------------------------------------
def _recheck_delay(config: BanescoConfig, attempts: int) -> timedelta:
    seconds = min(config.recheck_base_seconds * (2 ** min(attempts, 20)), config.recheck_max_seconds)
    return timedelta(seconds=seconds)


def _rows_reason(match: Match, *, claim: Transaction, rows) -> str:
    row = match.row
    if match.code == ReasonCode.DEBIT:
        return f"The bank shows a debit movement ({row.trn_type}) with this reference."
    if match.code == ReasonCode.SEVERAL_ROWS:
        return f"Several bank movements support this claim ({match.verdicts.count('')})."
    if match.code == ReasonCode.NO_CREDIT:
        return "The bank answered without any credit movement for this claim."
    if row is None:
        return {
            ReasonCode.REFERENCE_MISMATCH: "No bank movement has this reference ({n} rows with others).",
            ReasonCode.CURRENCY_MISMATCH: "The bank movements are not in bolívares ({n} rows).",
            ReasonCode.AMOUNT_MISMATCH: "Amount differs on every bank movement with this reference ({n}).",
        }[match.code].format(n=len(rows))
    if match.code == ReasonCode.REFERENCE_MISMATCH:
        return f"Reference differs: the bank shows {row.reference}, the claim says {claim.reference}."
    if match.code == ReasonCode.CURRENCY_MISMATCH:
        return f"Currency differs: the bank shows {row.currency or '(none)'}, not bolívares."
    shown = "(none)" if row.amount is None else f"{row.amount:.2f}"
    return f"Amount differs: the bank shows {shown}, the claim says {claim.amount}."


def decide(*, claim: Transaction, result: LookupResult, config: BanescoConfig, now: datetime) -> Decision:
    """Turn one bank answer into the claim's next status (pure, apart from the duplicate check)."""
    delay = _recheck_delay(config, claim.verification_attempts)
    if isinstance(result, Found):
        match = match_rows(result.rows, reference=claim.reference, amount=claim.amount)
        bank_amount = match.row.amount if match.row is not None else None
        if not match.supported:
            return Decision(
                Status.TO_REVIEW,
                _rows_reason(match, claim=claim, rows=result.rows),
                None,
                match.code,
                bank_amount,
            )
        other = selectors.reference_used_by_completed_claim(
            claim=claim,
            bank_reference=match.row.reference or claim.reference,
            mobile=claim.bank == Bank.MOBILE_TRANSFER,
        )
        if other is not None:
            return Decision(
                Status.TO_REVIEW,
                f"The bank reference is already used by completed claim {other.transaction_id}.",
                None,
                ReasonCode.DUPLICATE_REFERENCE,
                bank_amount,
            )
        return Decision(
            Status.COMPLETED,
            f"Verified with the bank: one credit movement of {bank_amount:.2f} with this reference.",
            None,
            ReasonCode.VERIFIED,
            bank_amount,
        )

    if isinstance(result, BankNotFound):
        window_end = claim.created_at + timedelta(hours=config.not_found_window_hours)
        if now >= window_end:
            return Decision(
                Status.TO_REVIEW,
                f"Not found at the bank within {config.not_found_window_hours:g} hours of the claim.",
                None,
                ReasonCode.NOT_FOUND_WINDOW,
            )
        return Decision(
            Status.IN_PROGRESS,
            "Not found at the bank yet (70001); will check again.",
            min(now + delay, window_end),
            ReasonCode.NOT_FOUND_YET,
        )

    if isinstance(result, PermanentFailure):
        if result.config_fault:
            return Decision(
                Status.UNKNOWN,
                f"Bank configuration fault ({result.code}): check {result.config_fault}.",
                now + timedelta(seconds=config.recheck_max_seconds),
                ReasonCode.CONFIG_FAULT,
            )
        return Decision(
            Status.TO_REVIEW,
            f"The bank refused the query ({result.code}: {result.description})."[:500],
            None,
            ReasonCode.BANK_REFUSED,
        )

    # RetryableFailure: retries exhausted.
    return Decision(
        Status.UNKNOWN,
        f"The bank could not be reached ({result.code}); will retry later.",
        now + delay,
        ReasonCode.BANK_UNREACHABLE,
    )
