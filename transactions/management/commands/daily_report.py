"""The daily report of one America/Caracas day (transactions.reports.daily).

    manage.py daily_report --date 2026-12-01 [--format table|csv|json]

Without --date: yesterday (Caracas). Read-only.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from config.clock import caracas_today
from transactions.reports.daily import daily_report
from transactions.reports.formats import FORMATS, render


class Command(BaseCommand):
    help = "Claims, decisions, time to decision and queue size of one Caracas day."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD, an America/Caracas day (default: yesterday)")
        parser.add_argument("--format", choices=FORMATS, default="table")

    def handle(self, *args, **opts):
        if opts["date"]:
            try:
                day = dt.date.fromisoformat(opts["date"])
            except ValueError:
                raise CommandError(f"--date must be YYYY-MM-DD, not {opts['date']!r}") from None
        else:
            day = caracas_today() - dt.timedelta(days=1)
        if day > caracas_today():
            raise CommandError(f"{day.isoformat()} has not happened yet in Caracas")
        self.stdout.write(render(daily_report(day), opts["format"]), ending="")
