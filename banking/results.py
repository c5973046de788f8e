"""Typed results of one confirmation look-up. The raw bank answer is always kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class BankRow:
    """One normalised `transactionDetail` row (strings stripped, Decimal amount, 4-digit bank ids)."""

    reference: str
    amount: Decimal | None
    trn_type: str
    trn_date: date | None = None
    trn_time: str = ""
    currency: str = ""
    account_id: str = ""
    source_bank_id: str = ""
    dest_bank_id: str = ""
    concept: str = ""
    customer_id_ben: str = ""

    @property
    def is_credit(self) -> bool:
        return self.trn_type == "CR"


@dataclass(frozen=True)
class LookupResult:
    http_status: int | None = None
    code: str = ""  # the bank's statusCode (normalised to a string) or our own (TIMEOUT, HTTP502...)
    description: str = ""
    raw: Any = None  # parsed JSON body, or the (truncated) text when it was not JSON
    attempts: int = 1
    duration_ms: int = 0

    kind = "unknown"

    @property
    def config_fault(self) -> str:
        """The setting(s) to check when this answer is a configuration fault, else ""."""
        return ""


@dataclass(frozen=True)
class Found(LookupResult):
    rows: tuple[BankRow, ...] = field(default_factory=tuple)
    kind = "found"


@dataclass(frozen=True)
class NotFound(LookupResult):
    kind = "not_found"


@dataclass(frozen=True)
class RetryableFailure(LookupResult):
    """Timeouts, connection errors, 5xx, 429 / VRN05, maintenance (VRN04, CRT503), malformed answers."""

    retry_after: float | None = None
    kind = "retryable"


@dataclass(frozen=True)
class PermanentFailure(LookupResult):
    """The bank refused the query (validation: VDE01, VDE02...) or refused *us* (a configuration fault).

    `credentials`: a 401/403/VRN01 answer, worth one token refresh and one retry.
    `setting`: for a configuration fault, the setting(s) an operator must check (an ERROR log names
    them, `banesco_check` prints them); the claim goes UNKNOWN at once, without burning its retries.
    """

    credentials: bool = False
    setting: str = ""
    kind = "permanent"

    @property
    def config_fault(self) -> str:
        if self.setting:
            return self.setting
        return CREDENTIAL_SETTINGS if self.credentials else ""


CREDENTIAL_SETTINGS = "BANESCO_CLIENT_ID / BANESCO_CLIENT_SECRET"
LOOKUP_PATH_SETTINGS = "BANESCO_API_BASE_URL / BANESCO_LOOKUP_PATH"
TOKEN_URL_SETTINGS = "BANESCO_AUTH_BASE_URL / BANESCO_REALM / BANESCO_TOKEN_URL"
GRANT_TYPE_SETTING = "BANESCO_GRANT_TYPE"


@dataclass(frozen=True)
class ShortCircuited(LookupResult):
    """No HTTP call was made: the circuit breaker is open."""

    kind = "short_circuited"
