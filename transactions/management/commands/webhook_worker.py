"""Deliver webhook events from the outbox (transactions/webhooks/worker.py)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from transactions.webhooks import worker


class Command(BaseCommand):
    help = "Deliver webhook events: long-running, or --once to deliver what is due and exit."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Deliver what is due now, then exit.")
        parser.add_argument("--threads", type=int, default=settings.WEBHOOKS["WORKER_THREADS"])
        parser.add_argument("--poll", type=float, default=settings.WEBHOOKS["POLL_SECONDS"])

    def handle(self, *args, once=False, threads=1, poll=2.0, **options):
        if once:
            count = worker.deliver_due()
            self.stdout.write(f"{count} webhook deliveries attempted")
            return
        loop = worker.Worker(threads=threads, poll_seconds=poll)
        loop.install_signal_handlers()
        self.stdout.write(f"webhook worker: {loop.threads} threads, polling every {poll}s")
        loop.run()
        self.stdout.write("webhook worker stopped")
