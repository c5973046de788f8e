"""Webhook delivery: latency from a committed change to the receiver, and throughput.

    .venv/bin/python -m bench.webhooks [--seconds 20] [--rate 50] [--threads 4] [--slow-events 300]

Creates a scratch database `bench_webhooks` on the local PostgreSQL, migrates it, starts a real
local receiver and one `manage.py webhook_worker` process (the production command, woken by
LISTEN/NOTIFY), then:

1. latency: creates claims through `transactions.services.create_claim` at `--rate` per second
   for `--seconds` (each commits one `claim.created` event) while the receiver answers in 20 ms;
   prints p50/p99/max from commit to the receiver's first byte of the request;
2. throughput: queues `--slow-events` events with the receiver answering in 500 ms and prints
   deliveries/s (for `--threads` and for 8× as many threads).

Timings are printed, never asserted (docs/PERFORMANCE.md); it exits non-zero only when an event
was not delivered.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.audit_append import _admin_exec, _percentile
from bench.common import ROOT, db_url

BENCH_DB = "bench_webhooks"


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--rate", type=float, default=50.0, help="status changes per second (latency run)")
    p.add_argument("--threads", type=int, default=4, help="webhook_worker --threads")
    p.add_argument("--slow-events", type=int, default=300, help="events for the 500 ms receiver run")
    return p.parse_args()


class Receiver:
    def __init__(self):
        self.delay = 0.02
        self.arrivals: dict[str, float] = {}  # event id -> first arrival
        self.times: list[float] = []  # every request's arrival
        self.count = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                arrived = time.time()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = self.headers.get("Webhook-Id", "")
                time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.count += 1
                    receiver.times.append(arrived)
                    receiver.arrivals.setdefault(key, arrived)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                del body

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.request_queue_size = 128
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks"


def _start_worker(env: dict, threads: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "webhook_worker", "--threads", str(threads), "--poll", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=30)


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def main() -> None:
    args = _parse()
    url = db_url(BENCH_DB)
    _admin_exec(url, f"DROP DATABASE IF EXISTS {BENCH_DB}")
    _admin_exec(url, f"CREATE DATABASE {BENCH_DB}")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": url,
        "VERIFY_ON_CREATE": "false",
        "LOG_LEVEL": "WARNING",
        "WEBHOOKS_ALLOW_PRIVATE": "true",
    }
    os.environ.update(env)

    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connections

    from accounts.models import User
    from tests.transactions.conftest import flat_data
    from transactions import services as claim_services
    from transactions.webhooks import services
    from transactions.webhooks.models import DeliveryStatus, WebhookDelivery

    worker = None
    complete = True
    try:
        call_command("migrate", verbosity=0, interactive=False)
        owner = User.objects.create_user(email="bench-webhooks@example.test", password="Bench-pass-123!")
        owner.groups.add(Group.objects.get(name="client"))
        receiver = Receiver()
        endpoint, _ = services.endpoint_create(owner=owner, url=receiver.url)

        # 1. latency at a steady rate, receiver answering in 20 ms.
        worker = _start_worker(env, args.threads)
        time.sleep(2.0)  # migrations done, LISTEN in place
        committed: dict[str, float] = {}
        total = int(args.seconds * args.rate)
        began = time.monotonic()
        for i in range(total):
            pause = began + i / args.rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            claim, _ = claim_services.create_claim(data=flat_data(), actor=owner)
            committed[claim.pk] = time.time()
        produced_in = time.monotonic() - began
        done = _wait(lambda: receiver.count >= total, timeout=120)
        complete &= done
        ids = dict(
            WebhookDelivery.objects.filter(endpoint=endpoint).values_list(
                "event__payload__id", "event__claim_id"
            )
        )
        latencies = sorted(
            receiver.arrivals[e] - committed[c] for e, c in ids.items() if e in receiver.arrivals
        )
        print(
            f"webhook bench: one webhook_worker process (--threads {args.threads}), local receiver, "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        print(
            f"  latency run     : {total} claim.created events at {total / produced_in:.1f}/s, "
            f"receiver 20 ms{'' if done else ' (NOT ALL DELIVERED)'}"
        )
        print(
            f"  commit→receiver : p50 {_percentile(latencies, 0.5) * 1e3:.1f} ms  "
            f"p99 {_percentile(latencies, 0.99) * 1e3:.1f} ms  max {latencies[-1] * 1e3:.1f} ms"
        )
        _stop(worker)
        worker = None

        # 2. throughput with a slow receiver (500 ms): queue first, then let a worker drain it.
        receiver.delay = 0.5
        for threads in (args.threads, args.threads * 8):
            WebhookDelivery.objects.update(status=DeliveryStatus.DELIVERED)
            first = receiver.count
            target = first + args.slow_events
            for _ in range(args.slow_events):
                claim_services.create_claim(data=flat_data(), actor=owner)
            worker = _start_worker(env, threads)
            done = _wait(lambda target=target: receiver.count >= target, timeout=600)
            complete &= done
            _stop(worker)
            worker = None
            window = receiver.times[first:target]
            # From the first request's arrival to the last one's answer (worker start-up excluded).
            took = window[-1] - window[0] + receiver.delay
            print(
                f"  throughput      : {len(window)} deliveries, receiver 500 ms, --threads {threads}: "
                f"{len(window) / took:.1f} deliveries/s{'' if done else ' (NOT ALL DELIVERED)'}"
            )
    finally:
        if worker is not None:
            _stop(worker)
        connections.close_all()
        _admin_exec(url, f"DROP DATABASE IF EXISTS {BENCH_DB}")
    if not complete:
        raise SystemExit("some events were not delivered")  # a correctness failure, not a timing


if __name__ == "__main__":
    main()
