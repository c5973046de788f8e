"""The daily report page in the admin (transactions.reports.daily), with CSV/JSON downloads.

    /admin/reports/daily/?date=YYYY-MM-DD[&format=csv|json]

Readers of every claim (reconcilers, auditors, admins) see it. Without a date: yesterday (Caracas).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from config.clock import caracas_today
from transactions.models import status_label
from transactions.reports.daily import daily_report
from transactions.reports.formats import as_csv, as_json, duration_text, ves_text

PERMISSION = "transactions.view_all_transactions"


def _day(request) -> tuple[dt.date, str]:
    today = caracas_today()
    raw = (request.GET.get("date") or "").strip()
    if not raw:
        return today - dt.timedelta(days=1), ""
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return today - dt.timedelta(days=1), gettext("Invalid date %(date)s: use YYYY-MM-DD.") % {"date": raw}
    if day > today:
        return today, gettext("%(date)s has not happened yet; showing today.") % {"date": raw}
    return day, ""


def daily_report_view(admin_site, request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    day, problem = _day(request)
    report = daily_report(day)
    fmt = request.GET.get("format")
    if fmt in ("csv", "json"):
        body = as_csv(report) if fmt == "csv" else as_json(report)
        response = HttpResponse(body, content_type="text/csv" if fmt == "csv" else "application/json")
        response["Content-Disposition"] = f'attachment; filename="daily-report-{day.isoformat()}.{fmt}"'
        return response
    today = caracas_today()
    context = {
        **admin_site.each_context(request),
        "title": gettext("Daily report"),
        "report": report,
        "day": day,
        "problem": problem,
        "status_rows": [
            {"label": status_label(s.status), "figure": s, "amount": ves_text(s.amount)}
            for s in report.statuses
        ],
        "total_amount": ves_text(report.created_amount),
        "median": duration_text(report.median_seconds),
        "p90": duration_text(report.p90_seconds),
        "previous_day": (day - dt.timedelta(days=1)).isoformat(),
        "next_day": (day + dt.timedelta(days=1)).isoformat() if day < today else "",
    }
    return TemplateResponse(request, "admin/transactions/daily_report.html", context)
