"""Run the Banesco simulator as a real HTTP server (end-to-end runs, benchmarks).

    manage.py banesco_sandbox --port 8081 [--latency-ms 100] [--fault 5xx[:N]] [--flavour qa|production]

Control endpoint for tests and demos: GET /__sandbox__/counters, POST /__sandbox__/payments,
POST /__sandbox__/faults {"fault", "count", "clear", "latency_ms", "flavour"}, POST /__sandbox__/reset.
"""

from django.core.management.base import BaseCommand, CommandError

from banking.sandbox.server import SandboxServer
from banking.sandbox.state import SWITCHES, SandboxState


class Command(BaseCommand):
    help = "Run the Banesco sandbox (token + confirmation lookup) as an HTTP server."
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8081)
        parser.add_argument("--latency-ms", type=int, default=0)
        parser.add_argument(
            "--fault",
            action="append",
            default=[],
            help="switch on a fault or quirk, optionally for N requests (name[:N]); one of: "
            + ", ".join(SWITCHES),
        )
        parser.add_argument("--flavour", choices=["qa", "production"], default="qa")
        parser.add_argument(
            "--timeout-seconds", type=float, default=30.0, help="how long the timeout fault hangs"
        )
        parser.add_argument("--no-demo", action="store_true", help="start without the demo payments")
        parser.add_argument("--verbose-requests", action="store_true")

    def handle(self, *args, **opts):
        state = SandboxState(flavour=opts["flavour"], seed_demo=not opts["no_demo"])
        state.latency_ms = opts["latency_ms"]
        state.timeout_seconds = opts["timeout_seconds"]
        for item in opts["fault"]:
            name, _, count = item.partition(":")
            try:
                state.set_fault(name, int(count) if count else None)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        try:
            server = SandboxServer(opts["host"], opts["port"], state, verbose=opts["verbose_requests"])
        except OSError as exc:
            raise CommandError(f"cannot listen on {opts['host']}:{opts['port']}: {exc}") from None
        self.stdout.write(
            f"Banesco sandbox ({opts['flavour']}) listening on {server.url} "
            f"latency={state.latency_ms}ms faults={list(state.faults) or 'none'}"
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
