"""The bank's evidence for a claim, read once: the deciding look-up's raw body parsed with
`banking.parsing` and each row judged with `transactions.matching`.

The API's `banesco_details`, the admin's "what the bank answered" panel and the CSV export all
render from this, never by re-reading raw JSON themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from banking.results import BankRow, LookupResult
from transactions.matching import match_rows


@dataclass(frozen=True)
class Evidence:
    result: LookupResult
    rows: tuple[BankRow, ...]
    verdicts: tuple[str, ...]  # per row: "" supports the claim, else a ReasonCode
    row: BankRow | None = None  # the supporting row, or the one closest candidate (matching.Match)

    @property
    def status_code(self) -> str:
        return self.result.code

    @property
    def status_desc(self) -> str:
        return self.result.description


def bank_evidence(claim) -> Evidence | None:
    """None until the bank has answered for this claim (`decided_lookup` is set by verification)."""
    lookup = claim.decided_lookup
    if lookup is None:
        return None
    result = lookup.result()
    rows = tuple(getattr(result, "rows", ()))
    match = match_rows(rows, reference=claim.reference, amount=claim.amount)
    return Evidence(result=result, rows=rows, verdicts=match.verdicts, row=match.row)


def movement_dict(row: BankRow, verdict: str) -> dict:
    """One row in the API's shape (`BanescoMovementSerializer`)."""
    return {
        "reference_number": row.reference,
        "amount": None if row.amount is None else f"{row.amount:.2f}",
        "currency_code": row.currency,
        "account_id": row.account_id,
        "trn_date": row.trn_date.isoformat() if row.trn_date else None,
        "trn_time": row.trn_time,
        "trn_type": row.trn_type,
        "source_bank_id": row.source_bank_id,
        "dest_bank_id": row.dest_bank_id,
        "concept": row.concept,
        "supports_claim": not verdict,
        "verdict": verdict,
    }


def details_dict(evidence: Evidence | None) -> dict | None:
    if evidence is None:
        return None
    return {
        "status_code": evidence.status_code,
        "status_desc": evidence.status_desc,
        "movements": [movement_dict(r, v) for r, v in zip(evidence.rows, evidence.verdicts, strict=True)],
    }
