"""Verify the claims that are due (IN_PROGRESS/UNKNOWN whose next verification time has come).

Any number of these may run at once, on any machine: each worker leases small batches with
SELECT … FOR UPDATE SKIP LOCKED, so no claim is looked up twice. Exit status is non-zero only for
configuration errors; per-claim failures are counted and the sweep carries on.
"""

import sys
import threading
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from banking.client import get_client
from banking.conf import get_config
from transactions import selectors
from transactions.verification import SweepSummary, verify_due_claims


class Command(BaseCommand):
    help = "Verify due payment claims against Banesco (safe to run in parallel)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="stop after this many claims")
        parser.add_argument("--workers", type=int, default=1, help="threads, each leasing its own batches")
        parser.add_argument("--batch-size", type=int, default=10)
        parser.add_argument("--dry-run", action="store_true", help="only count the claims that are due")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        config = get_config()
        fatal = [p for p in config.problems() if "client_credentials" not in p]
        if fatal:
            raise CommandError("Banesco is not configured: " + "; ".join(fatal))
        if opts["workers"] < 1 or (opts["limit"] is not None and opts["limit"] < 1):
            raise CommandError("--workers and --limit must be >= 1")
        if opts["dry_run"]:
            due = selectors.claims_due_for_verification().count()
            self.stdout.write(f"{due} claim(s) due for verification (dry run: nothing looked up)")
            return

        workers = opts["workers"]
        limit = opts["limit"]
        per_worker = None if limit is None else -(-limit // workers)
        total = SweepSummary()
        lock = threading.Lock()
        started = time.monotonic()
        progress = {"n": 0}
        show = not opts["no_progress"]
        due_hint = selectors.claims_due_for_verification().count() if show else 0
        if limit is not None:
            due_hint = min(due_hint, limit)

        def tick(_summary):
            with lock:
                progress["n"] += 1
                if show:
                    n = progress["n"]
                    width = 30
                    filled = int(width * min(n, due_hint) / due_hint) if due_hint else width
                    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {n}/{due_hint or '?'}")
                    sys.stderr.flush()

        def run():
            try:
                summary = verify_due_claims(
                    limit=per_worker,
                    batch_size=opts["batch_size"],
                    client=get_client(config),
                    on_progress=tick,
                )
                with lock:
                    total.merge(summary)
            finally:
                connection.close()

        threads = [threading.Thread(target=run, name=f"sweeper-{i}") for i in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if show:
            sys.stderr.write("\n")
        elapsed = time.monotonic() - started
        rate = total.checked / elapsed if elapsed > 0 else 0.0
        s = total.as_dict()
        self.stdout.write(
            "checked={checked} completed={completed} to_review={to_review} still_pending={still_pending} "
            "unknown={unknown} skipped={skipped} failed={failed} lookups={lookups}".format(**s)
            + f" elapsed={elapsed:.2f}s rate={rate:.1f}/s"
        )
