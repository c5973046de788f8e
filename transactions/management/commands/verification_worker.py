"""Verify payment claims with Banesco, off the request path (see transactions/worker.py).

    manage.py verification_worker                    # long-running: LISTEN/NOTIFY + polling
    manage.py verification_worker --once             # what is due now, then exit (cron, tests)
    manage.py verification_worker --poll-interval 1 --metrics-port 9101

Run as many as you like, on as many machines: they share the work through SKIP LOCKED leases.
SIGTERM/SIGINT: the claim in hand is finished, the rest of the batch is given back (due now), exit 0.
"""

import signal

from django.core.management.base import BaseCommand, CommandError
from prometheus_client import start_http_server

from banking.client import get_client
from banking.conf import get_config
from config.metrics import REGISTRY
from transactions.worker import VerificationWorker


class Command(BaseCommand):
    help = "Verify due payment claims with Banesco (long-running worker; --once for cron and tests)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="process what is due now, then exit")
        parser.add_argument(
            "--poll-interval", type=float, default=5.0, help="seconds between polls (default 5)"
        )
        parser.add_argument("--batch-size", type=int, default=5, help="claims leased at a time (default 5)")
        parser.add_argument("--no-listen", action="store_true", help="poll only (no LISTEN/NOTIFY)")
        parser.add_argument(
            "--metrics-port", type=int, default=None, help="serve this worker's metrics (Prometheus) here"
        )
        parser.add_argument("--metrics-addr", default="127.0.0.1", help="address for --metrics-port")

    def handle(self, *args, **opts):
        config = get_config()
        fatal = [p for p in config.problems() if "client_credentials" not in p]
        if fatal:
            raise CommandError("Banesco is not configured: " + "; ".join(fatal))
        if opts["poll_interval"] <= 0 or opts["batch_size"] < 1:
            raise CommandError("--poll-interval must be > 0 and --batch-size >= 1")
        worker = VerificationWorker(
            poll_interval=opts["poll_interval"],
            batch_size=opts["batch_size"],
            client=get_client(config),
            listen=not opts["no_listen"],
        )
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, worker.stop)
        if opts["metrics_port"] is not None:
            start_http_server(opts["metrics_port"], addr=opts["metrics_addr"], registry=REGISTRY)
        if not opts["once"]:
            self.stdout.write(
                f"verification worker started ({'LISTEN/NOTIFY + ' if worker.listen else ''}"
                f"poll every {opts['poll_interval']:g} s, batch {opts['batch_size']})"
            )
            self.stdout.flush()
        stats = worker.run(once=opts["once"])
        self.stdout.write(
            f"processed={stats.processed} looked_up={stats.looked_up} skipped={stats.skipped} "
            f"failed={stats.failed} released={stats.released} wakeups="
            + (",".join(f"{k}:{v}" for k, v in sorted(stats.wakeups.items())) or "-")
        )
