"""The before/after of a claim's fields as an audit event stores them (JSON-safe values)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from transactions.models import Transaction


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def snapshot(claim: Transaction, fields) -> dict:
    return {f: jsonable(getattr(claim, f)) for f in fields}
