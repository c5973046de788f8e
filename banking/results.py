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

    def payload(self) -> dict:
        """What is stored as `banesco_payload`: the raw answer beside our reading of it."""
        return {
            "kind": self.kind,
            "http_status": self.http_status,
            "code": self.code,
            "description": self.description,
            "attempts": self.attempts,
            "body": self.raw,
        }


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
    """The bank refused the query: validation (VDE01, VDE02, 70005...) or credentials (VRN01, 401/403)."""

    credentials: bool = False
    kind = "permanent"


@dataclass(frozen=True)
class ShortCircuited(LookupResult):
    """No HTTP call was made: the circuit breaker is open."""

    kind = "short_circuited"
