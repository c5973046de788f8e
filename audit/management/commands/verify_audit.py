"""manage.py verify_audit [--since SEQ] [--batch N]: walk the hash chain, report the first break."""

import time

from django.core.management.base import BaseCommand, CommandError

from audit.verification import verify_chain

EXIT_BROKEN = 2


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit 2 naming the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("--since", type=int, default=None, help="Start at this sequence (a checkpoint).")
        parser.add_argument("--batch", type=int, default=2000, help="Events read per query (memory bound).")

    def handle(self, *args, since=None, batch=2000, **options):
        if batch < 1:
            raise CommandError("--batch must be >= 1")
        if since is not None and since < 1:
            raise CommandError("--since must be >= 1")
        verbosity = options.get("verbosity", 1)
        started = time.monotonic()

        def progress(checked: int, last_sequence: int) -> None:
            if verbosity >= 1:
                rate = checked / max(time.monotonic() - started, 1e-6)
                self.stderr.write(
                    f"verified {checked} events (up to sequence {last_sequence}, {rate:,.0f}/s)"
                )

        result = verify_chain(since=since, batch=batch, progress=progress)
        if not result.ok:
            raise CommandError(
                f"AUDIT CHAIN BROKEN at sequence {result.broken.sequence}: {result.broken.message}. "
                f"{result.checked} events verified before it.",
                returncode=EXIT_BROKEN,
            )
        if result.checked == 0:
            self.stdout.write(self.style.SUCCESS("OK: no audit events to verify."))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"OK: {result.checked} events verified"
                f"{f' from sequence {since}' if since else ''}; "
                f"head sequence {result.head_sequence} hash {result.head_hash}"
            )
        )
