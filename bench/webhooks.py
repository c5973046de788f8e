"""Webhook delivery: latency from a committed status change to the receiver, and throughput.

    .venv/bin/python -m bench.webhooks [--seconds 20] [--rate 50] [--threads 4] [--producers 4]
        [--receiver-ms 20] [--slow-events 300] [--slow-receiver-ms 500]

Creates a scratch database `bench_webhooks` on the local PostgreSQL, migrates it, starts a real
local receiver and one `manage.py webhook_worker` process (the production command, woken by
LISTEN/NOTIFY; `--threads` delivery threads), then:

1. latency: `--producers` processes first create `--seconds`×`--rate` claims (the endpoint
   subscribes to `claim.status_changed` only, so creating them queues nothing), then, from a
   common start, cancel them through `transactions.services.claim_cancel` (IN_PROGRESS →
   CANCELED, one `claim.status_changed` event each) on a fixed schedule of `--rate` per second in
   total, while the receiver answers in `--receiver-ms`; prints the rate reached and p50/p99/max
   from the status change's commit to the receiver's first byte of the request. The producers are
   processes so that they do not share the receiver's interpreter;
2. throughput: queues `--slow-events` `claim.created` events with the receiver answering in
   `--slow-receiver-ms` and prints deliveries/s (for `--threads` and for 8× as many threads).

Timings are printed, never asserted (docs/PERFORMANCE.md); it exits non-zero only when an event
was not delivered.
"""

from __future__ import annotations

import argparse
import multiprocessing
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
    p.add_argument("--seconds", type=float, default=20.0, help="length of the latency run")
    p.add_argument("--rate", type=float, default=50.0, help="status changes per second (latency run)")
    p.add_argument("--threads", type=int, default=4, help="webhook_worker --threads (one worker process)")
    p.add_argument("--producers", type=int, default=4, help="processes making the status changes")
    p.add_argument("--receiver-ms", type=float, default=20.0, help="receiver answer time, latency run")
    p.add_argument("--slow-events", type=int, default=300, help="events for the throughput run")
    p.add_argument("--slow-receiver-ms", type=float, default=500.0, help="receiver answer time, throughput")
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


def _producer(k: int, producers: int, total: int, rate: float, owner_pk, barriers, start, out) -> None:
    """A forked process: create claims k, k+N, k+2N… (nothing queued), wait for the common start,
    then cancel each at its slot `start + i / rate`; send {claim pk: commit time} back."""
    from django.db import connections

    from accounts.models import User
    from tests.transactions.conftest import flat_data
    from transactions import services as claim_services

    connections.close_all()  # never share the parent's connection
    owner = User.objects.get(pk=owner_pk)
    mine = []
    for i in range(k, total, producers):
        data = flat_data(transaction_id=f"bench-wh-{i}", reference=f"{10**11 + i:012d}")
        mine.append((i, claim_services.create_claim(data=data, actor=owner)[0]))
    created, go = barriers
    created.wait()
    go.wait()  # the parent has set `start` in between
    committed, late = {}, 0.0
    for i, claim in mine:
        pause = start.value + i / rate - time.time()
        if pause > 0:
            time.sleep(pause)
        else:
            late = max(late, -pause)
        claim_services.claim_cancel(claim=claim, actor=owner)
        committed[str(claim.pk)] = time.time()
    connections.close_all()
    out.put((committed, late))


def _latency_run(args, owner) -> tuple[dict, float, float]:
    """Run the producers; return ({claim pk: commit time}, the rate reached, worst lateness)."""
    from django.db import connections

    total = int(args.seconds * args.rate)
    ctx = multiprocessing.get_context("fork")
    barriers = (ctx.Barrier(args.producers + 1), ctx.Barrier(args.producers + 1))
    start, out = ctx.Value("d", 0.0), ctx.Queue()
    connections.close_all()
    procs = [
        ctx.Process(
            target=_producer, args=(k, args.producers, total, args.rate, owner.pk, barriers, start, out)
        )
        for k in range(args.producers)
    ]
    for proc in procs:
        proc.start()
    barriers[0].wait(timeout=600)  # every claim created
    start.value = time.time() + 0.5
    barriers[1].wait(timeout=60)
    committed, late = {}, 0.0
    for _ in procs:
        part, part_late = out.get(timeout=600)
        committed.update(part)
        late = max(late, part_late)
    for proc in procs:
        proc.join(30)
    span = max(committed.values()) - start.value if committed else 0.0
    return committed, (len(committed) / span if span > 0 else 0.0), late


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
        # Persistent connections, as production runs the worker (test settings default to 0: a
        # new PostgreSQL backend per delivery, whose cold catalog caches were most of a lease).
        "DB_CONN_MAX_AGE": "60",
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
    from transactions.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookDeliveryAttempt

    worker = None
    complete = True
    try:
        call_command("migrate", verbosity=0, interactive=False)
        owner = User.objects.create_user(email="bench-webhooks@example.test", password="Bench-pass-123!")
        owner.groups.add(Group.objects.get(name="client"))
        receiver = Receiver()
        receiver.delay = args.receiver_ms / 1000
        endpoint, _ = services.endpoint_create(owner=owner, url=receiver.url, events=["claim.status_changed"])

        # 1. latency at a steady rate of status changes.
        worker = _start_worker(env, args.threads)
        time.sleep(2.0)  # LISTEN in place (claims are created meanwhile: they queue nothing)
        total = int(args.seconds * args.rate)
        committed, reached, late = _latency_run(args, owner)
        done = _wait(lambda: receiver.count >= total, timeout=120)
        complete &= done and len(committed) == total
        ids = dict(
            WebhookDelivery.objects.filter(endpoint=endpoint).values_list(
                "event__payload__id", "event__claim_id"
            )
        )
        latencies = sorted(
            receiver.arrivals[e] - committed[str(c)]
            for e, c in ids.items()
            if e in receiver.arrivals and str(c) in committed
        )
        print(
            f"webhook bench: one webhook_worker process (--threads {args.threads}), local receiver, "
            f"{args.producers} producer processes, load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} CPUs"
        )
        print(
            f"  latency run     : {total} claim.status_changed events, asked {args.rate:g}/s, "
            f"reached {reached:.1f}/s (producers at most {late * 1e3:.0f} ms behind schedule), "
            f"receiver {args.receiver_ms:g} ms{'' if done else ' (NOT ALL DELIVERED)'}"
        )
        if reached < 0.9 * args.rate:
            print("  NOTE            : the asked rate was not reached (latency is at the rate reached)")
        # Where the time goes: event written → the worker starts the POST (queueing and wake-up).
        waits = sorted(
            (started - created).total_seconds()
            for started, created in WebhookDeliveryAttempt.objects.filter(
                delivery__endpoint=endpoint, number=1
            ).values_list("started_at", "delivery__event__created_at")
        )
        if waits:
            print(
                f"  event→POST start: p50 {_percentile(waits, 0.5) * 1e3:.1f} ms  "
                f"p99 {_percentile(waits, 0.99) * 1e3:.1f} ms (the worker's pick-up delay)"
            )
        if latencies:
            print(
                f"  change→receiver : p50 {_percentile(latencies, 0.5) * 1e3:.1f} ms  "
                f"p99 {_percentile(latencies, 0.99) * 1e3:.1f} ms  max {latencies[-1] * 1e3:.1f} ms "
                f"({len(latencies)} events)"
            )
        _stop(worker)
        worker = None

        # 2. throughput with a slow receiver: queue first, then let a worker drain it.
        services.endpoint_deactivate(endpoint=endpoint, actor=owner)
        services.endpoint_create(owner=owner, url=receiver.url)  # every event type
        receiver.delay = args.slow_receiver_ms / 1000
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
                f"  throughput      : {len(window)} deliveries, receiver {args.slow_receiver_ms:g} ms, "
                f"--threads {threads}: "
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
