"""Turn one HTTP answer of the confirmation API into a typed result.

The body is read before the HTTP status (Banesco answers 70001 with 200 in QA and 400 in
production, and puts its own code in `httpStatus.statusCode`). Quirks tolerated: `statusCode` as a
string or a number, amounts as strings or numbers (also `1.234,56`), bank ids that lost their
leading zero, space-padded strings.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .results import (
    LOOKUP_PATH_SETTINGS,
    BankRow,
    Found,
    LookupResult,
    NotFound,
    PermanentFailure,
    RetryableFailure,
)

NOT_FOUND_CODES = {"70001"}
MAINTENANCE_CODES = {"VRN04", "CRT503"}
RATE_LIMIT_CODES = {"VRN05"}
# VRN06 (HTTP 424) is a failure of a dependency inside the bank: worth retrying later.
RETRYABLE_CODES = MAINTENANCE_CODES | RATE_LIMIT_CODES | {"VRN06"}
CREDENTIAL_CODES = {"VRN01"}
OK_CODES = {"200", "0", "00", "000"}
MAX_TEXT = 2000


def _s(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def normalise_code(value: Any) -> str:
    return _s(value).upper()


def normalise_bank_id(value: Any) -> str:
    text = _s(value)
    return text.zfill(4) if text.isdigit() and len(text) < 4 else text


def parse_amount(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = _s(value).replace(" ", "")
    if "," in text and "." in text:
        # 1.234,56 (Venezuelan) or 1,234.56
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        text = text.replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _parse_date(value: Any) -> date | None:
    text = _s(value)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d"):
        try:
            return datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    return None


def parse_row(row: dict) -> BankRow:
    return BankRow(
        reference=_s(row.get("referenceNumber")),
        amount=parse_amount(row.get("amount")),
        trn_type=_s(row.get("trnType")).upper(),
        trn_date=_parse_date(row.get("trnDate")),
        trn_time=_s(row.get("trnTime")),
        currency=_s(row.get("currencyCode")),
        account_id=_s(row.get("accountId")),
        source_bank_id=normalise_bank_id(row.get("sourceBankId")),
        dest_bank_id=normalise_bank_id(row.get("destBankId")),
        concept=_s(row.get("concept")),
        customer_id_ben=_s(row.get("customerIdBen")),
    )


def _retry_after(headers) -> float | None:
    value = (headers or {}).get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(str(value).strip()))
    except ValueError:
        return None  # HTTP-date form: fall back to our own back-off


def decode_body(text: str):
    """The answer as stored on `BankLookup.body`: the JSON object, or the (truncated) text."""
    try:
        body = json.loads(text) if text and text.strip() else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    return text[:MAX_TEXT] if text else ""


def parse_response(http_status: int, text: str, headers=None) -> LookupResult:
    """One function turns a bank answer into a typed result (dj-stripe's lesson)."""
    return parse_body(http_status, decode_body(text), headers)


def parse_body(http_status: int | None, body, headers=None) -> LookupResult:
    """`parse_response` for an already decoded body (a stored `BankLookup.body` re-read for display)."""
    http_status = http_status or 0
    if not isinstance(body, dict):
        raw = body if isinstance(body, str) else ""
        if http_status in (401, 403):
            return PermanentFailure(
                http_status=http_status, code=f"HTTP{http_status}", raw=raw, credentials=True
            )
        if http_status == 404:
            # Banesco's gateway answers a wrong path with a plain-text `404 No Mapping Rule matched`:
            # a configuration fault (wrong host or path for this environment), never worth a retry.
            return PermanentFailure(
                http_status=http_status,
                code="HTTP404",
                description="the bank's gateway does not know this path (" + raw.strip()[:80] + ")",
                raw=raw,
                setting=LOOKUP_PATH_SETTINGS,
            )
        return RetryableFailure(
            http_status=http_status,
            code=f"HTTP{http_status}" if http_status >= 400 else "MALFORMED",
            description="the bank's answer is not a JSON object",
            raw=raw,
            retry_after=_retry_after(headers),
        )

    status_block = body.get("httpStatus") if isinstance(body.get("httpStatus"), dict) else {}
    code = normalise_code(status_block.get("statusCode", body.get("statusCode")))
    desc = _s(status_block.get("statusDesc", body.get("statusDesc")))
    common = {"http_status": http_status, "code": code, "description": desc, "raw": body}

    if code in NOT_FOUND_CODES:
        return NotFound(**common)
    if code in RETRYABLE_CODES:
        return RetryableFailure(**common, retry_after=_retry_after(headers))
    if code in CREDENTIAL_CODES:
        return PermanentFailure(**common, credentials=True)

    data = body.get("dataResponse") if isinstance(body.get("dataResponse"), dict) else {}
    details = data.get("transactionDetail")
    if isinstance(details, dict):
        details = [details]
    if code in OK_CODES or (not code and 200 <= http_status < 300 and details is not None):
        if not details:
            return NotFound(**common)
        rows = tuple(parse_row(r) for r in details if isinstance(r, dict))
        return Found(**common, rows=rows)

    # No bank code we know: now the HTTP status decides.
    if http_status in (401, 403):
        error = _s(body.get("error"))
        return PermanentFailure(
            http_status=http_status,
            code=code or f"HTTP{http_status}",
            description=desc or _s(body.get("error_description")) or error,
            raw=body,
            credentials=True,
        )
    if http_status == 429 or http_status >= 500:
        return RetryableFailure(
            **{**common, "code": code or f"HTTP{http_status}"}, retry_after=_retry_after(headers)
        )
    return PermanentFailure(**{**common, "code": code or f"HTTP{http_status}"})
