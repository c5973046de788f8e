"""Export payment claims created between two Caracas dates as CSV on stdout.

    manage.py export_transactions --from 2025-01-01 --to 2025-01-31 [--status COMPLETED] > claims.csv

Streams with a server-side cursor (constant memory); progress goes to stderr.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from transactions.exports import write_csv
from transactions.models import Status
from transactions.selectors import claims_created_between


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Invalid date {value!r}: use YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Export payment claims created between two dates (Caracas) as CSV on stdout."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="last day (inclusive), YYYY-MM-DD")
        parser.add_argument("--status", choices=Status.values, help="only claims in this status")

    def handle(self, *args, date_from, date_to, status=None, **options):
        start, end = _date(date_from), _date(date_to)
        if end < start:
            raise CommandError("--to must not be before --from.")
        qs = claims_created_between(date_from=start, date_to=end, status=status)

        def progress(count: int) -> None:
            self.stderr.write(f"exported {count} claims")

        # Write straight to the underlying stream: no buffering of the whole file.
        out = getattr(self.stdout, "_out", self.stdout)
        write_csv(qs, out, progress=progress)
