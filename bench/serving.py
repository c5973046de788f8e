"""Serving shapes under the production config: creates/s by request threads, CPU use, and a mixed
read/create workload (docs/PERFORMANCE.md, "Serving").

    BENCH_DB_NAME=bench_serving .venv/bin/python -m bench.serving [--seconds 10] [--connections 16]
        [--shapes 1x1 5x1 5x2 5x4 5x2c3 5x2:NAME=VALUE] [--mixed 5x1 …] [--sync] [--rounds 3]

One database (10 k seeded claims), then for each WORKERSxTHREADS shape: gunicorn -c
config/gunicorn.conf.py with WEB_CONCURRENCY/GUNICORN_THREADS, wrk create for `--seconds` at
`--connections` (`WxTcC`: also gunicorn's worker_connections = C), the machine's CPU busy share
during the run (/proc/stat) and the time each create waited on PostgreSQL locks
(bench/lockwait.py: pg_stat_activity sampled every `--lock-sample-ms`, p50/p99 per create, and
what the active backends waited on). `--sync` adds the
sync-worker comparison (2 x CPUs + 1 workers). `--mixed SHAPE…`: 80 % reads (list + retrieve) and
20 % creates at the same time, split by connections (13 + 3 of 16), reads' p50/p99 reported.
Prints a table; timings are never asserted.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading

from bench.common import DB_NAME, log, production_env
from bench.lockwait import LockWaitSampler, describe


def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat") as fh:
        parts = [int(x) for x in fh.readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return sum(parts), idle


def _busy(before, after) -> float:
    total, idle = after[0] - before[0], after[1] - before[1]
    return 1 - idle / total if total else 0.0


def _shape(text: str, env: dict) -> tuple[int, int, dict, str]:
    """'WxT', 'WxTcC' (C = gunicorn's worker_connections; default: the config's, = threads), each
    optionally followed by ':NAME=VALUE,…' (more environment for that server, e.g.
    '5x1:GUNICORN_KEEPALIVE=5'; ':sync' serves with plain sync workers instead)."""
    text, _, extra = text.partition(":")
    shape, _, conns = text.partition("c")
    workers, threads = (int(x) for x in shape.split("x"))
    env = dict(env)
    serving = "production"
    if conns:
        env["GUNICORN_WORKER_CONNECTIONS"] = conns
    for pair in filter(None, extra.split(",")):
        name, _, value = pair.partition("=")
        if name == "sync" and not value:
            serving = "sync"
        else:
            env[name] = value
    return workers, threads, env, serving


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--shapes", nargs="+", default=["1x1", "5x1", "5x2", "5x4"])
    p.add_argument("--mixed", nargs="*", default=["5x1"], help="shape(s) of the mixed 80/20 run (none: skip)")
    p.add_argument("--sync", action="store_true", help="also create under 2 x CPUs + 1 sync workers")
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the shapes (and the sync comparison) this many times, alternating (ABAB): "
        "the database grows with every create run, so a fixed order favours the first shape",
    )
    p.add_argument("--size", type=int, default=10_000)
    p.add_argument(
        "--lock-sample-ms", type=float, default=10.0, help="pg_stat_activity sampling interval (0: off)"
    )
    return p.parse_args()


def _mixed_run(shape, args, env, workload, ns, state) -> tuple:
    """80 % reads (list + retrieve) and 20 % creates at once, split by connections."""
    from bench import runner
    from bench.loadgen import run_wrk
    from bench.server import Gunicorn

    workers, threads, mixed_env, serving = _shape(shape, env)
    server = Gunicorn(name="api-mixed", env=mixed_env, workers=workers, threads=threads, serving=serving)
    try:
        runner._warm_up([(False, server)], workload, ns, state)
        creates = max(1, round(args.connections * 0.2))
        reads = args.connections - creates
        out: dict = {}

        def load(name, script, wrk_args, connections):
            out[name] = run_wrk(
                url=server.url, script=script, args=wrk_args, duration=args.seconds, connections=connections
            )

        state["run_no"] += 1
        script_c, args_c = workload.wrk_args("create", floor=False, run_no=state["run_no"])
        get = [workload.staff_token, "0"]
        jobs = [
            threading.Thread(target=load, args=("create", script_c, args_c, creates)),
            threading.Thread(
                target=load, args=("list", "get.lua", [*get, workload.files["list_p1"]], reads // 2)
            ),
            threading.Thread(
                target=load,
                args=("retrieve", "get.lua", [*get, workload.files["retrieve"]], reads - reads // 2),
            ),
        ]
        for job in jobs:
            job.start()
        for job in jobs:
            job.join()
        return shape, creates, reads, out
    finally:
        server.stop()


def main() -> int:
    args = _parse()
    from bench import runner, seed
    from bench.server import Gunicorn

    env = production_env(extra={"JWT_ACCESS_MINUTES": "240"})
    runner._setup_django(env)
    from django.core.management import call_command

    seed.recreate_database(DB_NAME)
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    runner._flush_redis()
    users = seed.ensure_users()
    seed.seed_claims(
        dsn=runner._pg_dsn(), start=0, stop=args.size, owner_ids=[str(u.pk) for u in users["owners"]]
    )
    runner._vacuum()
    tmpdir = tempfile.mkdtemp(prefix="bench-serving-")
    workload = runner.Workload(
        size=args.size,
        tmpdir=tmpdir,
        client_token=runner._token(users["client"]),
        staff_token=runner._token(users["reconciler"]),
    )
    state = {"run_no": 0}
    ns = argparse.Namespace(duration=args.seconds, concurrency=args.connections)
    rows = []
    shapes = [(s, "production") for s in args.shapes]
    if args.sync:
        shapes.append((f"{2 * (os.cpu_count() or 1) + 1}x1", "sync"))
    shapes = shapes * max(1, args.rounds)
    try:
        for shape, serving in shapes:
            workers, threads, shape_env, shape_serving = _shape(shape, env)
            serving = "sync" if "sync" in (serving, shape_serving) else serving
            server = Gunicorn(
                name=f"api-{shape}", env=shape_env, workers=workers, threads=threads, serving=serving
            )
            try:
                runner._warm_up([(False, server)], workload, ns, state)
                sampler = None
                if args.lock_sample_ms > 0:
                    sampler = LockWaitSampler(
                        runner._pg_dsn(), DB_NAME, interval=args.lock_sample_ms / 1000
                    ).start()
                before = _cpu_times()
                try:
                    result = runner._run_load(server, workload, "create", ns, floor=False, state=state)
                finally:
                    busy = _busy(before, _cpu_times())
                    if sampler is not None:
                        sampler.stop()
                result["cpu_busy"] = busy
                result["locks"] = sampler.summary(transactions=result["requests"]) if sampler else None
            finally:
                server.stop()
            rows.append((shape, serving, workers * threads, result))
            log(f"{serving} {shape}: {result['rps']:.0f} creates/s, cpu {result['cpu_busy']:.0%}")
        mixed = []
        for _ in range(max(1, args.rounds) if args.mixed else 0):
            for shape in args.mixed:
                mixed.append(_mixed_run(shape, args, env, workload, ns, state))
    finally:
        from django.db import connections

        connections.close_all()
        seed.drop_database(DB_NAME)

    print(f"SERVING (create, wrk {args.connections} connections × {args.seconds:g} s, {args.size} claims)")
    print(
        f"{'shape':>7} {'serving':<10} {'req threads':>11} {'creates/s':>9} {'p50':>7} {'p99':>7} "
        f"{'p99/p50':>7} {'cpu':>5} {'lock p50':>8} {'lock p99':>8} {'err':>4}"
    )
    for shape, serving, n, r in rows:
        locks = r.get("locks") or {}
        lock_p50 = f"{locks['p50_ms']:>8.1f}" if locks else f"{'-':>8}"
        lock_p99 = f"{locks['p99_ms']:>8.1f}" if locks else f"{'-':>8}"
        print(
            f"{shape:>7} {serving:<10} {n:>11} {r['rps']:>9.1f} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} "
            f"{r['p99_ms'] / r['p50_ms'] if r['p50_ms'] else 0:>7.2f} {r['cpu_busy']:>5.0%} "
            f"{lock_p50} {lock_p99} {r['errors']:>4}"
        )
    print("(ms; cpu = the machine's busy share during the run; lock = PostgreSQL lock wait per create)")
    if args.rounds > 1:
        by_shape: dict = {}
        for shape, serving, _n, r in rows:
            by_shape.setdefault((shape, serving), []).append(r["rps"])
        sync = next((v for (_s, serving), v in by_shape.items() if serving == "sync"), None)
        print(f"MEAN OVER {args.rounds} ALTERNATING ROUNDS (creates/s)")
        for (shape, serving), values in by_shape.items():
            mean = sum(values) / len(values)
            versus = f"  = {mean / (sum(sync) / len(sync)):.0%} of sync" if sync and serving != "sync" else ""
            each = ", ".join(f"{v:.0f}" for v in values)
            print(f"  {shape:>7} {serving:<10} {mean:>7.1f}  ({each}){versus}")
    for shape, serving, _n, r in rows:
        if r.get("locks"):
            print(f"  {shape} {serving}: {describe(r['locks'])}")
    for shape, creates, reads, out in mixed:
        print(f"MIXED ({shape}; {reads} read connections, {creates} create connections, {args.seconds:g} s)")
        for name, r in out.items():
            print(
                f"  {name:<9} {r.rps:>8.1f} req/s  p50 {r.p50_ms:>6.1f} ms  p99 {r.p99_ms:>6.1f} ms  "
                f"errors {r.errors}"
            )
    errors = sum(r["errors"] for *_, r in rows) + sum(r.errors for *_, out in mixed for r in out.values())
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
