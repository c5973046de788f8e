"""CSV export of payment claims: streaming, constant memory, formula-injection safe.

Used by `manage.py export_transactions` and by the admin's CSV action.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from django.db.models import QuerySet

from config.clock import CARACAS
from transactions.banks import bank_name

CHUNK_SIZE = 2000

# (CSV header, queryset field)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("transaction_id", "transaction_id"),
    ("status", "status"),
    ("status_reason", "status_reason"),
    ("status_reason_code", "status_reason_code"),
    ("bank", "bank"),
    ("transaction_type", "transaction_type"),
    ("reference", "reference"),
    ("amount", "amount"),
    ("bank_amount", "bank_amount"),
    ("payment_date", "payment_date"),
    ("payer_bank_code", "payer_bank_code"),
    ("customer_full_name", "customer_full_name"),
    ("customer_phone", "customer_phone"),
    ("customer_national_id", "customer_national_id"),
    ("concept", "concept"),
    ("verification_attempts", "verification_attempts"),
    ("last_verified_at", "last_verified_at"),
    ("created_by", "created_by__email"),
    ("created_at", "created_at"),
)
# `payer_bank_name` is derived (not a column) and follows `payer_bank_code`.
_BANK_CODE_AT = [name for name, _ in COLUMNS].index("payer_bank_code")
HEADER = [name for name, _ in COLUMNS]
HEADER.insert(_BANK_CODE_AT + 1, "payer_bank_name")

_DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """Render a value for a spreadsheet; prefix `'` to text a spreadsheet would run as a formula."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(CARACAS).isoformat()
    if isinstance(value, dt.date | Decimal | int):
        return str(value)
    text = str(value)
    if text.startswith(_DANGEROUS_PREFIXES):
        return "'" + text
    return text


def iter_rows(queryset: QuerySet) -> Iterator[list[str]]:
    """Header, then one row per claim, read with a server-side cursor in chunks."""
    yield HEADER
    fields = [field for _, field in COLUMNS]
    for values in queryset.values_list(*fields).iterator(chunk_size=CHUNK_SIZE):
        row = [safe_cell(v) for v in values]
        row.insert(_BANK_CODE_AT + 1, safe_cell(bank_name(values[_BANK_CODE_AT])))
        yield row


def write_csv(
    queryset: QuerySet,
    out,
    *,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 10_000,
) -> int:
    """Write the claims of `queryset` as CSV to the text stream `out`; return the row count."""
    writer = csv.writer(out)
    count = -1
    for count, row in enumerate(iter_rows(queryset)):
        writer.writerow(row)
        if progress and count and count % progress_every == 0:
            progress(count)
    if progress:
        progress(count)
    return count


class _Echo:
    def write(self, value):
        return value


def stream_csv_lines(queryset: QuerySet) -> Iterable[str]:
    """CSV lines one by one, for a StreamingHttpResponse (admin CSV action)."""
    writer = csv.writer(_Echo())
    for row in iter_rows(queryset):
        yield writer.writerow(row)
