"""The daily report as JSON, CSV or a human table (the command and the admin page's downloads).

Amounts are Decimal and written as exact strings with two decimals ("1234.50"); times in seconds.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from config.clock import CARACAS
from transactions.reports.daily import DayReport

FORMATS = ("table", "csv", "json")
CSV_HEADER = ("date", "metric", "key", "value")


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'))}"


def ves_text(amount: Decimal) -> str:
    """1234567.5 -> 'Bs. 1.234.567,50' (the admin's Venezuelan format, whatever the locale)."""
    text = f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"Bs. {text}"


def _seconds(value: float | None):
    return None if value is None else round(value, 1)


def as_dict(report: DayReport) -> dict:
    return {
        "date": report.day.isoformat(),
        "timezone": str(CARACAS),
        "claims": {
            "total": report.created,
            "amount_ves": _money(report.created_amount),
            "by_status": [
                {"status": s.status, "count": s.count, "amount_ves": _money(s.amount)}
                for s in report.statuses
            ],
        },
        "decisions": {"total": report.decisions, "automatic": report.automatic, "manual": report.manual},
        "time_to_final_status_seconds": {
            "median": _seconds(report.median_seconds),
            "p90": _seconds(report.p90_seconds),
        },
        "decisions_per_person": [
            {"person": p.label, "approved": p.approved, "rejected": p.rejected, "total": p.total}
            for p in report.people
        ],
        "queue_end_of_day": report.queue_end,
    }


def as_json(report: DayReport) -> str:
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"


def csv_rows(report: DayReport) -> list[tuple]:
    day = report.day.isoformat()
    rows = [(day, "claims", s.status, s.count) for s in report.statuses]
    rows += [(day, "amount_ves", s.status, _money(s.amount)) for s in report.statuses]
    rows += [
        (day, "claims", "TOTAL", report.created),
        (day, "amount_ves", "TOTAL", _money(report.created_amount)),
        (day, "decisions", "automatic", report.automatic),
        (day, "decisions", "manual", report.manual),
        (day, "time_to_final_status_seconds", "median", _blank(_seconds(report.median_seconds))),
        (day, "time_to_final_status_seconds", "p90", _blank(_seconds(report.p90_seconds))),
    ]
    for person in report.people:
        rows += [
            (day, "approved_by", person.label, person.approved),
            (day, "rejected_by", person.label, person.rejected),
        ]
    rows.append((day, "queue_end_of_day", "TO_REVIEW", report.queue_end))
    return rows


def _blank(value):
    return "" if value is None else value


def as_csv(report: DayReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(report))
    return out.getvalue()


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def as_table(report: DayReport) -> str:
    lines = [f"Daily report {report.day.isoformat()} (America/Caracas)", ""]
    lines.append(f"{'status (end of day)':<22} {'claims':>8} {'amount (VES)':>18}")
    for s in report.statuses:
        lines.append(f"{s.status:<22} {s.count:>8} {_money(s.amount):>18}")
    lines.append(f"{'TOTAL':<22} {report.created:>8} {_money(report.created_amount):>18}")
    lines += [
        "",
        f"decisions (final status): {report.decisions} = "
        f"{report.automatic} automatic + {report.manual} manual",
        f"time from claim to final status: median {duration_text(report.median_seconds)}, "
        f"p90 {duration_text(report.p90_seconds)}",
        f"review queue (TO_REVIEW) at the end of the day: {report.queue_end}",
        "",
    ]
    if report.people:
        lines.append(f"{'decided by':<40} {'approved':>9} {'rejected':>9} {'total':>7}")
        for p in report.people:
            lines.append(f"{p.label:<40} {p.approved:>9} {p.rejected:>9} {p.total:>7}")
    else:
        lines.append("no manual decisions")
    return "\n".join(lines) + "\n"


def render(report: DayReport, fmt: str) -> str:
    return {"json": as_json, "csv": as_csv, "table": as_table}[fmt](report)
