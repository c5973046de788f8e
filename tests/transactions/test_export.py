import csv
import datetime as dt
import io
import tracemalloc
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from config.clock import CARACAS, caracas_today
from transactions.exports import HEADER, safe_cell, write_csv
from transactions.models import Status, Transaction
from transactions.selectors import claims_created_between

pytestmark = pytest.mark.django_db


class CountingSink:
    """A text stream that keeps nothing, so the measured memory is the exporter's own."""

    def __init__(self):
        self.chars = 0
        self.lines = 0

    def write(self, s):
        self.chars += len(s)
        self.lines += s.count("\n")
        return len(s)


def bulk_claims(owner, n, **extra):
    now = timezone.now()
    rows = [
        Transaction(
            transaction_id=f"bulk-{i}",
            bank="MOBILE_TRANSFER",
            reference=f"{i:012d}",
            amount=Decimal("100.00") + i,
            payment_date=caracas_today(),
            payer_bank_code="0102",
            customer_full_name="Ana María Pérez de los Ríos " + "x" * 40,
            customer_phone="04141234567",
            customer_national_id="V12345678",
            concept="Consulta médica general " * 10,
            created_by=owner,
            created_at=now,
            next_verification_at=now,
            **extra,
        )
        for i in range(n)
    ]
    Transaction.objects.bulk_create(rows, batch_size=2000)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("normal", "normal"),
        (None, ""),
        (Decimal("10.50"), "10.50"),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def _export_peak(qs):
    sink = CountingSink()
    progress = []
    tracemalloc.start()
    try:
        count = write_csv(qs, sink, progress=progress.append, progress_every=2500)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak, sink, progress


def test_export_10k_rows_in_bounded_memory(client_user):
    bulk_claims(client_user, 10_000)
    qs = claims_created_between(date_from=caracas_today(), date_to=caracas_today())

    # Two chunks can be alive at once (the next fetch while the last rows are written): compare with
    # a 4000-row export, which already has that steady state.
    small_count, small_peak, _, _ = _export_peak(qs[:4000])
    count, peak, sink, progress = _export_peak(qs)

    assert small_count == 4000
    assert count == 10_000
    assert sink.lines == 10_001
    assert progress[-1] == 10_000 and len(progress) >= 4
    # The CSV is ~4.5 MB. Streaming keeps at most two 2000-row chunks in memory, so exporting
    # 2.5x the rows must cost about the same memory (loading everything would cost ~2.5x).
    assert sink.chars > 4_000_000
    assert peak < small_peak * 1.25, (peak, small_peak)
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes"


def test_command_filters_by_date_and_status_and_is_injection_safe(client_user):
    bulk_claims(client_user, 3)
    Transaction.objects.filter(transaction_id="bulk-0").update(
        status=Status.COMPLETED, customer_full_name="=HYPERLINK(evil)"
    )
    Transaction.objects.filter(transaction_id="bulk-2").update(
        created_at=dt.datetime(2020, 1, 1, 12, tzinfo=CARACAS)
    )
    today = caracas_today().isoformat()
    out, err = io.StringIO(), io.StringIO()
    call_command("export_transactions", "--from", today, "--to", today, stdout=out, stderr=err)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == HEADER
    assert {r[0] for r in rows[1:]} == {"bulk-0", "bulk-1"}
    name_col = HEADER.index("customer_full_name")
    assert any(r[name_col] == "'=HYPERLINK(evil)" for r in rows[1:])
    assert "exported 2 claims" in err.getvalue()

    out = io.StringIO()
    call_command(
        "export_transactions",
        "--from",
        today,
        "--to",
        today,
        "--status",
        "COMPLETED",
        stdout=out,
        stderr=io.StringIO(),
    )
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert [r[0] for r in rows[1:]] == ["bulk-0"]


def test_command_rejects_bad_arguments():
    with pytest.raises(CommandError):
        call_command("export_transactions", "--from", "2025-13-01", "--to", "2025-01-01")
    with pytest.raises(CommandError):
        call_command("export_transactions", "--from", "2025-02-01", "--to", "2025-01-01")
