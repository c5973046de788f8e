"""manage.py verify_audit [--since SEQ] [--batch N] [--expect-head SEQ:HASH | --expect-head-file FILE]:
walk the hash chain, account for every row of the table, check a published head; report the
first break (exit 2)."""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.verification import Head, verify_chain

EXIT_BROKEN = 2


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit 2 naming the first broken link."

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            type=int,
            default=None,
            help="Start the legacy chain (0) at this sequence (a checkpoint).",
        )
        parser.add_argument("--batch", type=int, default=2000, help="Events read per query (memory bound).")
        parser.add_argument(
            "--expect-head",
            metavar="HEADS",
            help="Heads published earlier (audit_head's expect_head: CHAIN:POS:HASH,…; SEQ:HASH = chain 0): "
            "each must still be in its chain (no cut tail).",
        )
        parser.add_argument(
            "--expect-head-file",
            metavar="FILE",
            help="The same, read from a file written by audit_head --publish.",
        )

    def _expected_head(self, options) -> list[Head] | None:
        text = options.get("expect_head")
        if options.get("expect_head_file"):
            if text:
                raise CommandError("Give --expect-head or --expect-head-file, not both.")
            try:
                document = json.loads(Path(options["expect_head_file"]).read_text())
                text = document["expect_head"] or ""
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise CommandError(f"Cannot read the published head: {exc}") from exc
            if not text:
                return None  # the head was published from an empty trail
        if not text:
            return None
        try:
            return Head.parse_many(text)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

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

        expected = self._expected_head(options)
        result = verify_chain(since=since, batch=batch, progress=progress, expected_head=expected)
        if not result.ok:
            where = f" at sequence {result.broken.sequence}" if result.broken.sequence else ""
            raise CommandError(
                f"AUDIT CHAIN BROKEN{where}: {result.broken.message}. "
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
                f"head sequence {result.head_sequence} hash {result.head_hash}; "
                f"{len(result.heads)} chain(s)"
                f"{f'; {len(expected)} published head(s) found' if expected else ''}"
            )
        )
