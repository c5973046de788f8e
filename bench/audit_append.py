"""Audit append throughput: N concurrent writers (each with its own DB connection) on PostgreSQL.

    DJANGO_SETTINGS_MODULE=config.test_settings .venv/bin/python -m bench.audit_append \
        [--seconds 10] [--writers 1 4 16] [--processes] [--database-url postgres://...] [--keep]

Without --database-url it creates a scratch database `bench_audit` on the PostgreSQL server of
DATABASE_URL (default 127.0.0.1:5432, user postgres), migrates it, runs, verifies the chain and
drops it. Writers are threads by default (--processes: forked processes, like gunicorn workers,
no shared GIL). Each append is its own transaction (record() + COMMIT), like a status change.
Several writer counts run one after the other on the same database (`--writers 1 4 16`). Prints
events/s, p50/p99/max append latency (ms), the time each append waited on PostgreSQL locks (the
chain's advisory lock; bench/lockwait.py samples pg_stat_activity every `--lock-sample-ms`) and,
at the end, the verify_audit walk rate. `AUDIT_CHAINS=1` reproduces the old single global lock.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import threading
import time
from urllib.parse import urlparse, urlunparse

BENCH_DB = "bench_audit"


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--writers", type=int, nargs="+", default=[4], help="writer counts, run in turn")
    p.add_argument(
        "--lock-sample-ms", type=float, default=10.0, help="pg_stat_activity sampling interval (0: off)"
    )
    p.add_argument("--processes", action="store_true", help="writers are forked processes, not threads")
    p.add_argument("--database-url", default="", help="use this (existing, migrated or empty) database")
    p.add_argument("--keep", action="store_true", help="do not drop the scratch database")
    return p.parse_args()


def _scratch_url() -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    return urlunparse(urlparse(base)._replace(path=f"/{BENCH_DB}"))


def _admin_exec(url: str, sql: str) -> None:
    import psycopg

    admin = urlunparse(urlparse(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def _percentile(sorted_values: list[float], q: float) -> float:
    idx = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[idx]


def _writer(n: int, seconds: float, barrier) -> list[float]:
    """Append events for `seconds` after everyone is ready; return per-append latencies (s)."""
    from django.db import connection, transaction

    from audit import actions
    from audit.services import record

    latencies: list[float] = []
    try:
        connection.ensure_connection()
        barrier.wait()
        stop_at = time.perf_counter() + seconds
        i = 0
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            with transaction.atomic():
                record(
                    action=actions.TRANSACTION_STATUS_CHANGED,
                    actor_type="SYSTEM",
                    before={"status": "IN_PROGRESS"},
                    after={"status": "COMPLETED", "amount": "1500.00"},
                    reason="bench",
                    metadata={"writer": n, "i": i},
                )
            latencies.append(time.perf_counter() - t0)
            i += 1
    finally:
        connection.close()
    return latencies


def _process_writer(n: int, seconds: float, barrier, queue) -> None:
    try:
        queue.put((n, _writer(n, seconds, barrier), None))
    except BaseException as exc:
        queue.put((n, [], repr(exc)))


def _run_threads(writers: int, seconds: float) -> list[list[float]]:
    barrier = threading.Barrier(writers)
    results: list[list[float]] = [[] for _ in range(writers)]
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            results[n] = _writer(n, seconds, barrier)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"writer errors: {errors[:3]}")
    return results


def _run_processes(writers: int, seconds: float) -> list[list[float]]:
    from django.db import connections

    connections.close_all()  # never share a connection across fork
    ctx = mp.get_context("fork")
    barrier, queue = ctx.Barrier(writers), ctx.Queue()
    procs = [ctx.Process(target=_process_writer, args=(n, seconds, barrier, queue)) for n in range(writers)]
    for p in procs:
        p.start()
    results: list[list[float]] = [[] for _ in range(writers)]
    errors = []
    for _ in procs:
        n, lat, err = queue.get(timeout=seconds + 120)
        results[n] = lat
        if err:
            errors.append(err)
    for p in procs:
        p.join()
    if errors:
        raise SystemExit(f"writer errors: {errors[:3]}")
    return results


def _one_run(args, url: str, writers: int) -> int:
    from bench.lockwait import LockWaitSampler, describe

    sampler = None
    if args.lock_sample_ms > 0:
        dbname = urlparse(url).path.lstrip("/")
        sampler = LockWaitSampler(url, dbname, interval=args.lock_sample_ms / 1000).start()
    began = time.perf_counter()
    run = _run_processes if args.processes else _run_threads
    try:
        per_writer = run(writers, args.seconds)
    finally:
        if sampler is not None:
            sampler.stop()
    elapsed = time.perf_counter() - began
    all_lat = sorted(x for per in per_writer for x in per)
    n = len(all_lat)
    print(f"{writers} writer(s):")
    print(f"  events appended : {n}")
    print(f"  throughput      : {n / elapsed:,.0f} events/s")
    print(
        f"  latency (ms)    : p50 {_percentile(all_lat, 0.50) * 1e3:.2f}  "
        f"p99 {_percentile(all_lat, 0.99) * 1e3:.2f}  max {all_lat[-1] * 1e3:.2f}  "
        f"mean {statistics.fmean(all_lat) * 1e3:.2f}"
    )
    print(f"  per writer      : {[len(p) for p in per_writer]}")
    if sampler is not None:
        print(f"  locks           : {describe(sampler.summary(transactions=n))}")
    return n


def main() -> None:
    args = _parse()
    scratch = not args.database_url
    url = args.database_url or _scratch_url()
    if scratch:
        _admin_exec(url, f"DROP DATABASE IF EXISTS {BENCH_DB}")
        _admin_exec(url, f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from audit.models import AuditEvent
    from audit.verification import verify_chain

    try:
        call_command("migrate", verbosity=0, interactive=False)
        start_count = AuditEvent.objects.count()
        appended = 0
        pg_version = connection.pg_version
        kind = "processes" if args.processes else "threads"
        from django.conf import settings

        print(
            f"audit append bench: {args.writers} writer {kind}, ~{args.seconds:g} s each, "
            f"{settings.AUDIT_CHAINS} chain(s), PostgreSQL {pg_version}"
        )
        for writers in args.writers:
            appended += _one_run(args, url, writers)
        t0 = time.perf_counter()
        result = verify_chain(batch=5000)
        took = time.perf_counter() - t0
        status = "OK" if result.ok else f"BROKEN {result.broken}"
        print(
            f"  verify_audit    : {status}, {result.checked} events in {took:.2f} s "
            f"({result.checked / max(took, 1e-9):,.0f} events/s)"
        )
        if AuditEvent.objects.count() != start_count + appended:
            raise SystemExit("event count mismatch")
    finally:
        connections.close_all()
        if scratch and not args.keep:
            _admin_exec(url, f"DROP DATABASE IF EXISTS {BENCH_DB}")


if __name__ == "__main__":
    main()
