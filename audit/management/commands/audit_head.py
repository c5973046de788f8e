"""manage.py audit_head [--json]: print the chain head (sequence, hash, time) for publishing."""

import json

from django.core.management.base import BaseCommand

from audit.selectors import audit_head


class Command(BaseCommand):
    help = "Print the audit chain head (sequence, hash, occurred_at) to publish outside the database."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        head = audit_head()
        data = {
            "sequence": head.sequence if head else 0,
            "hash": head.hash if head else None,
            "occurred_at": head.occurred_at.isoformat() if head else None,
        }
        if options["json"]:
            self.stdout.write(json.dumps(data, sort_keys=True))
        else:
            self.stdout.write(f"{data['sequence']} {data['hash'] or '-'} {data['occurred_at'] or '-'}")
