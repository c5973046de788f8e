"""`python -m bench`: the whole benchmark suite, one table. See docs/PERFORMANCE.md.

Against PostgreSQL (a dedicated database, created and dropped here) and gunicorn started with the
production config file (config/gunicorn.conf.py: gthread workers × threads, keep-alive) and
production settings (DJANGO_ENV=production, DEBUG off, Redis cache; bench/settings.py swaps in the
Banesco sandbox), with wrk as the load generator in its own process. `--serving sync` runs plain
sync workers instead; `--compare-sync` (default in full runs) also runs create under sync workers
as a comparison row:

  seed   N claims (+ audit events) per size, INSERT … SELECT generate_series; rows/s
  api    create, filtered list (page 1 and a deep page), retrieve, status: req/s, p50, p99, errors,
         each against the API and against the floor (bare Django views, same SQL), as a ratio
  scale  filtered-list p99 at the smallest vs the largest size, and EXPLAIN ANALYZE of its queries
  admin  TO_REVIEW changelist and change page at the largest size: server time, query count
  sweep  verify_pending against the HTTP sandbox (100 ms) with 1/2/4 workers: claims/s vs budget,
         duplicate look-ups
  worker verification_worker (bench/workerrun.py): create p50/p99 with the bank at 0 / 1 000 ms,
         create → final status at 10 and 40 claims/s with 1 and 2 workers, throughput vs budget

Exit status: 0 when every scenario ran without an error; 1 when one crashed, answered a non-2xx
or socket error, or the sweep looked a claim up twice. Timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import re
import sys
import tempfile
import time
import traceback

from bench.common import CLIENT_EMAIL, DB_NAME, REDIS_URL, db_url, log, production_env

SCENARIOS = ("create", "list_p1", "list_deep", "retrieve", "status")
SCENARIO_LABELS = {
    "create": "create claim (POST)",
    "list_p1": "list status+dates p1",
    "list_deep": "list status+dates deep",
    "retrieve": "retrieve by id",
    "status": "status",
}
ALL_PARTS = ("seed", "api", "scale", "admin", "sweep", "worker")
FULL_SIZES = [10_000, 100_000, 1_000_000]
TARGETS = {"floor_share": 0.60, "scale_p99": 1.5, "admin_queries": 15, "admin_ms": 300, "sweep_share": 0.90}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="CI subset: 10 k claims, 10 s per scenario")
    p.add_argument("--sizes", type=int, nargs="+", help="claim counts to seed and measure (ascending)")
    p.add_argument("--duration", type=float, help="seconds per load scenario (default 10)")
    p.add_argument("--concurrency", type=int, default=8, help="concurrent HTTP connections (default 8)")
    p.add_argument(
        "--serving",
        choices=("production", "sync"),
        default="production",
        help="production = gunicorn -c config/gunicorn.conf.py (default); sync = plain sync workers",
    )
    p.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: the config's)")
    p.add_argument("--threads", type=int, default=None, help="threads per worker (production serving)")
    p.add_argument(
        "--compare-sync",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also run create under 2 x CPUs + 1 sync workers (default: on, off with --quick)",
    )
    p.add_argument("--only", action="append", choices=ALL_PARTS, help="run only these parts (repeatable)")
    p.add_argument(
        "--sweep-claims", type=int, help="due claims per sweep worker and run (default 150, quick 20)"
    )
    p.add_argument("--sweep-workers", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--sweep-latency-ms", type=int, default=100)
    p.add_argument("--sweep-budget", type=int, default=20, help="BANESCO_LOOKUPS_PER_SECOND of the sweep")
    p.add_argument("--worker-rates", type=float, nargs="+", help="claims/s of the worker latency runs")
    p.add_argument("--worker-counts", type=int, nargs="+", help="verification workers per run (default 1 2)")
    p.add_argument("--worker-seconds", type=float, help="seconds of arrivals per worker latency run")
    p.add_argument("--worker-claims", type=int, help="backlog per worker for the throughput run (0: skip)")
    p.add_argument("--json", metavar="PATH", help="also write the raw results as JSON")
    p.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = p.parse_args(argv)
    args.sizes = sorted(args.sizes or ([10_000] if args.quick else FULL_SIZES))
    args.duration = args.duration or 10.0
    args.sweep_claims = args.sweep_claims or (20 if args.quick else 150)
    args.parts = set(args.only or ALL_PARTS)
    args.worker_rates = args.worker_rates or ([10.0] if args.quick else [10.0, 40.0])
    args.worker_counts = args.worker_counts or ([1] if args.quick else [1, 2])
    args.worker_seconds = args.worker_seconds or (3.0 if args.quick else 10.0)
    args.worker_create_seconds = 3.0 if args.quick else args.duration
    if args.worker_claims is None:
        args.worker_claims = 0 if args.quick else 100
    if args.compare_sync is None:
        args.compare_sync = not args.quick
    return args


# --- set-up -----------------------------------------------------------------------------------
def _setup_django(env: dict) -> None:
    os.environ.update(env)
    import django

    django.setup()


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def _token(user) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    return str(AccessToken.for_user(user))


def _pg_dsn() -> str:
    return db_url().replace("postgres://", "postgresql://", 1)


def _vacuum() -> float:
    import psycopg

    t0 = time.perf_counter()
    with psycopg.connect(_pg_dsn(), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE transactions_transaction")
        conn.execute("VACUUM ANALYZE audit_auditevent")
    return time.perf_counter() - t0


# --- load scenarios ---------------------------------------------------------------------------
class Workload:
    """The paths and arguments of each scenario at the current size."""

    def __init__(self, *, size: int, tmpdir: str, client_token: str, staff_token: str):
        from config.clock import caracas_today
        from transactions.api.filters import TransactionFilter
        from transactions.models import Transaction

        self.size = size
        self.client_token = client_token
        self.staff_token = staff_token
        today = caracas_today()
        self.today = today.isoformat()
        self.list_params = {
            "status": "TO_REVIEW",
            "from_date": (today - dt.timedelta(days=30)).isoformat(),
            "to_date": self.today,
            "size": "20",
        }
        from django.http import QueryDict

        params = QueryDict(mutable=True)  # as the API receives them (status is a multiple choice)
        params.update(self.list_params)
        qs = TransactionFilter(data=params, queryset=Transaction.objects.alive()).qs
        self.list_total = qs.count()
        self.deep_page = max(1, math.ceil(self.list_total / 20) // 2)
        query = "&".join(f"{k}={v}" for k, v in self.list_params.items())
        self.list_p1_path = f"/api/v1/transactions/?{query}"
        self.list_deep_path = f"/api/v1/transactions/?{query}&page={self.deep_page}"
        rng = random.Random(size)
        ids = [f"seed-{rng.randrange(size):09d}" for _ in range(2000)]
        self.files = {}
        for name, lines in (
            ("list_p1", [self.list_p1_path]),
            ("list_deep", [self.list_deep_path]),
            ("retrieve", [f"/api/v1/transactions/{i}/" for i in ids]),
            ("status", [f"/api/v1/transactions/{i}/status/" for i in ids]),
        ):
            path = os.path.join(tmpdir, f"paths-{size}-{name}.txt")
            with open(path, "w") as fh:
                fh.write("\n".join(lines) + "\n")
            self.files[name] = path

    def wrk_args(self, scenario: str, *, floor: bool, run_no: int) -> tuple[str, list[str]]:
        if scenario == "create":
            token = "-" if floor else self.client_token
            run_id = f"{run_no % 100:02d}{random.randrange(1000):03d}"
            return "create.lua", [token, run_id, self.today]
        token = "-" if floor else self.staff_token
        return "get.lua", [token, "0", self.files[scenario]]


def _run_load(server, workload: Workload, scenario: str, args, *, floor: bool, state: dict) -> dict:
    from bench.loadgen import run_wrk

    state["run_no"] += 1
    script, wrk_args = workload.wrk_args(scenario, floor=floor, run_no=state["run_no"])
    result = run_wrk(
        url=server.url, script=script, args=wrk_args, duration=args.duration, connections=args.concurrency
    )
    out = {
        "rps": result.rps,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "max_ms": result.max_ms,
        "requests": result.requests,
        "errors": result.errors,
    }
    if result.errors:
        out["error_detail"] = result.detail
        log(f"{'floor' if floor else 'api'} {scenario}: {result.errors} errors: {result.detail}")
    return out


def _warm_up(servers, workload: Workload, args, state) -> None:
    from bench.loadgen import run_wrk

    for floor, server in servers:
        token = "-" if floor else workload.staff_token
        for name in ("list_p1", "retrieve"):
            run_wrk(
                url=server.url,
                script="get.lua",
                args=[token, "0", workload.files[name]],
                duration=2,
                connections=args.concurrency,
            )


def _compare_sync(env, workload, args, state, per_size, results) -> None:
    """create under plain sync workers (2 × CPUs + 1), right after the production-config run."""
    from bench.server import Gunicorn

    server = None
    try:
        server = Gunicorn(name="api-sync", env=env, workers=2 * (os.cpu_count() or 1) + 1, serving="sync")
        results["config"]["sync_label"] = server.describe
        _warm_up([(False, server)], workload, args, state)
        per_size["create"]["sync"] = _run_load(server, workload, "create", args, floor=False, state=state)
        log(f"create under sync workers: {per_size['create']['sync']['rps']:.0f} req/s")
    except Exception as exc:
        results["failures"].append(f"sync create: {exc}")
        log(traceback.format_exc())
    finally:
        if server is not None:
            server.stop()


# --- EXPLAIN ----------------------------------------------------------------------------------
INDEX_RE = re.compile(r"(?:Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)")


def explain_list(*, workload: Workload, staff_token: str) -> dict:
    """EXPLAIN ANALYZE the exact SQL the API runs for the filtered list (captured in-process)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"Authorization": f"Bearer {staff_token}"})
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(workload.list_p1_path)
    if response.status_code != 200:
        raise RuntimeError(f"list answered {response.status_code}: {response.content[:300]!r}")
    plans = {}
    for query in ctx.captured_queries:
        sql = query["sql"]
        if '"transactions_transaction"' not in sql:
            continue
        kind = "count" if "COUNT(" in sql.upper() else "page"
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cur.fetchall())
        exec_ms = re.search(r"Execution Time: ([\d.]+) ms", plan)
        plans[kind] = {
            "sql": sql,
            "indexes": sorted(set(INDEX_RE.findall(plan))),
            "seq_scan": "Seq Scan on transactions_transaction" in plan,
            "execution_ms": float(exec_ms.group(1)) if exec_ms else None,
            "plan": plan,
        }
    return {"queries": len(ctx.captured_queries), "plans": plans}


# --- the run ----------------------------------------------------------------------------------
def run(args) -> dict:
    from bench import seed
    from bench.loadgen import wrk_available
    from bench.server import Gunicorn

    results: dict = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config": {
            "sizes": args.sizes,
            "duration_s": args.duration,
            "concurrency": args.concurrency,
            "gunicorn_workers": args.workers,
            "serving": args.serving,
            "cpus": os.cpu_count(),
            "quick": args.quick,
        },
        "seed": [],
        "api": {},
        "explain": {},
        "admin": [],
        "sweep": [],
        "worker": {},
        "failures": [],
    }
    need_http = bool(args.parts & {"api", "scale"})
    if (need_http or "worker" in args.parts) and not wrk_available():
        raise SystemExit("wrk is not installed: run scripts/ensure-bench-tools.sh (apt-get install wrk)")

    env = production_env(extra={"JWT_ACCESS_MINUTES": "240"})
    _setup_django(env)
    from django.core.management import call_command

    log(f"database {DB_NAME}: create and migrate")
    seed.recreate_database(DB_NAME)
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)  # production's manifest storage
    _flush_redis()
    users = seed.ensure_users()
    client_token, staff_token = _token(users["client"]), _token(users["reconciler"])
    owner_ids = [str(u.pk) for u in users["owners"]]

    servers = []
    tmpdir = tempfile.mkdtemp(prefix="bench-")
    state = {"run_no": 0}
    try:
        if need_http:
            api = Gunicorn(
                name="api", env=env, workers=args.workers, threads=args.threads, serving=args.serving
            )
            results["config"]["serving_label"] = api.describe
            servers.append((False, api))
            floor_env = production_env(
                settings="bench.floor_settings",
                extra={"JWT_ACCESS_MINUTES": "240", "BENCH_FLOOR_USER_EMAIL": CLIENT_EMAIL},
            )
            floor = Gunicorn(
                name="floor", env=floor_env, workers=args.workers, threads=args.threads, serving=args.serving
            )
            servers.append((True, floor))
        seeded = 0
        for size in args.sizes:
            if size > seeded:
                log(f"seed: {seeded} -> {size} claims")
                info = seed.seed_claims(dsn=_pg_dsn(), start=seeded, stop=size, owner_ids=owner_ids)
                info["vacuum_s"] = _vacuum()
                info["size"] = size
                results["seed"].append(info)
                seeded = size
            if not need_http:
                continue
            try:
                workload = Workload(
                    size=size, tmpdir=tmpdir, client_token=client_token, staff_token=staff_token
                )
                _warm_up(servers, workload, args, state)
            except Exception as exc:
                results["failures"].append(f"workload at {size}: {exc}")
                log(traceback.format_exc())
                continue
            scenarios = SCENARIOS if "api" in args.parts else ("list_p1",)
            per_size = results["api"].setdefault(
                str(size), {"list_total": workload.list_total, "deep_page": workload.deep_page}
            )
            for scenario in scenarios:
                entry = {}
                for is_floor, server in servers:
                    key = "floor" if is_floor else "api"
                    if is_floor and "api" not in args.parts:
                        continue
                    try:
                        entry[key] = _run_load(server, workload, scenario, args, floor=is_floor, state=state)
                    except Exception as exc:
                        results["failures"].append(f"{key} {scenario} at {size}: {exc}")
                        log(traceback.format_exc())
                per_size[scenario] = entry
                log(f"{size} {scenario}: " + "; ".join(f"{k} {v['rps']:.0f} req/s" for k, v in entry.items()))
            if args.compare_sync and "api" in args.parts and size == args.sizes[0]:
                _compare_sync(env, workload, args, state, per_size, results)
            if "scale" in args.parts or "api" in args.parts:
                try:
                    results["explain"][str(size)] = explain_list(workload=workload, staff_token=staff_token)
                except Exception as exc:
                    results["failures"].append(f"explain at {size}: {exc}")
        for _, server in servers:
            server.stop()
        servers = []

        if "admin" in args.parts:
            from bench import adminpages

            try:
                results["admin"] = adminpages.run(reconciler=users["reconciler"])
                for row in results["admin"]:
                    row["size"] = seeded
            except Exception as exc:
                results["failures"].append(f"admin: {exc}")
                log(traceback.format_exc())
        if "sweep" in args.parts:
            from bench import sweeprun

            try:
                results["sweep"] = sweeprun.run(
                    dsn=_pg_dsn(),
                    owner_id=owner_ids[0],
                    claims_per_worker=args.sweep_claims,
                    workers_list=args.sweep_workers,
                    latency_ms=args.sweep_latency_ms,
                    budget=args.sweep_budget,
                )
            except Exception as exc:
                results["failures"].append(f"sweep: {exc}")
                log(traceback.format_exc())
        if "worker" in args.parts:
            from bench import workerrun

            try:
                results["worker"] = workerrun.run(
                    args=args, dsn=_pg_dsn(), users=users, client_token=client_token
                )
            except Exception as exc:
                results["failures"].append(f"worker: {exc}")
                log(traceback.format_exc())
    finally:
        for _, server in servers:
            server.stop()
        from django.db import connections

        connections.close_all()
        if not args.keep:
            seed.drop_database(DB_NAME)
    return results


# --- report -----------------------------------------------------------------------------------
def _fmt_size(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000} M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000} k"
    return str(n)


def report(results: dict) -> tuple[str, list[str]]:
    """The tables as text, and the list of problems (errors, duplicates, crashes)."""
    cfg = results["config"]
    out: list[str] = []
    problems = list(results["failures"])
    w = out.append
    w(
        f"Área Médica bench — {results['started_at']} — {cfg['cpus']} CPUs, "
        f"{cfg.get('serving_label') or cfg.get('serving', 'production')}, "
        f"wrk {cfg['concurrency']} connections × {cfg['duration_s']:g} s per scenario"
    )
    if results["seed"]:
        w("")
        w("SEED (INSERT … SELECT generate_series; secondary indexes rebuilt for big loads)")
        w(
            f"{'claims':>8} {'+claims':>8} {'+events':>9} {'seconds':>8} {'claims/s':>9} {'rows/s':>9} "
            f"{'vacuum s':>9}"
        )
        for s in results["seed"]:
            rows = s["claims"] + s["events"]
            w(
                f"{_fmt_size(s['size']):>8} {s['claims']:>8} {s['events']:>9} {s['seconds']:>8.1f} "
                f"{s['claims'] / s['seconds']:>9,.0f} {rows / s['seconds']:>9,.0f} {s['vacuum_s']:>9.1f}"
            )
    if results["api"]:
        w("")
        w(
            "API vs FLOOR (req/s, latency ms; errors = non-2xx + socket errors; "
            "ratio = API req/s ÷ floor req/s)"
        )
        w(
            f"{'claims':>7} {'scenario':<24} {'API r/s':>8} {'p50':>7} {'p99':>7} {'err':>4} │ "
            f"{'floor r/s':>9} {'p50':>7} {'p99':>7} {'err':>4} │ {'ratio':>6}"
        )
        for size, per in results["api"].items():
            for scenario in SCENARIOS:
                entry = per.get(scenario)
                if not entry:
                    continue
                a, f = entry.get("api"), entry.get("floor")
                cells = f"{_fmt_size(int(size)):>7} {SCENARIO_LABELS[scenario]:<24} "
                cells += (
                    f"{a['rps']:>8.1f} {a['p50_ms']:>7.1f} {a['p99_ms']:>7.1f} {a['errors']:>4} │ "
                    if a
                    else f"{'—':>8} {'':>7} {'':>7} {'':>4} │ "
                )
                cells += (
                    f"{f['rps']:>9.1f} {f['p50_ms']:>7.1f} {f['p99_ms']:>7.1f} {f['errors']:>4} │ "
                    if f
                    else f"{'—':>9} {'':>7} {'':>7} {'':>4} │ "
                )
                cells += f"{a['rps'] / f['rps']:>5.0%}" if a and f and f["rps"] else f"{'—':>6}"
                w(cells)
                sync = entry.get("sync")
                if sync:
                    w(
                        f"{'':>7} {'  … under sync workers':<24} {sync['rps']:>8.1f} {sync['p50_ms']:>7.1f} "
                        f"{sync['p99_ms']:>7.1f} {sync['errors']:>4} │ production config ÷ sync: "
                        + (f"{a['rps'] / sync['rps']:.0%}" if a and sync["rps"] else "—")
                    )
                for key, r in (("API", a), ("floor", f), ("sync", sync)):
                    if r and r["errors"]:
                        problems.append(f"{key} {scenario} at {size}: {r['errors']} errors")
            w(
                f"{'':>7} (list: {per['list_total']} TO_REVIEW claims in the last 30 days, "
                f"deep page = {per['deep_page']})"
            )
    sizes = sorted(int(s) for s in results["api"])
    if len(sizes) >= 2:
        lo, hi = results["api"][str(sizes[0])], results["api"][str(sizes[-1])]
        if lo.get("list_p1", {}).get("api") and hi.get("list_p1", {}).get("api"):
            p_lo, p_hi = lo["list_p1"]["api"]["p99_ms"], hi["list_p1"]["api"]["p99_ms"]
            w("")
            w("SCALE (filtered list, page 1, API)")
            w(
                f"p99 at {_fmt_size(sizes[0])}: {p_lo:.1f} ms; at {_fmt_size(sizes[-1])}: {p_hi:.1f} ms; "
                f"ratio {p_hi / p_lo:.2f} (target ≤ {TARGETS['scale_p99']})"
            )
            results["scale"] = {
                "p99_lo": p_lo,
                "p99_hi": p_hi,
                "ratio": p_hi / p_lo,
                "lo": sizes[0],
                "hi": sizes[-1],
            }
    if results["explain"]:
        w("")
        w("EXPLAIN ANALYZE of the filtered list's SQL (as the API runs it)")
        for size, ex in results["explain"].items():
            for kind, plan in sorted(ex["plans"].items()):
                w(
                    f"{_fmt_size(int(size)):>7} {kind:<6} indexes: {', '.join(plan['indexes']) or 'NONE'}"
                    f"{'  SEQ SCAN!' if plan['seq_scan'] else ''}  ({plan['execution_ms']} ms)"
                )
            w(f"{'':>7} {ex['queries']} SQL queries per list request")
    if results["admin"]:
        w("")
        w("ADMIN (in-process, production settings, reconciler; server time over 10 requests)")
        w(f"{'claims':>7} {'page':<22} {'median ms':>9} {'max ms':>8} {'queries':>8}")
        for row in results["admin"]:
            w(
                f"{_fmt_size(row['size']):>7} {row['page']:<22} {row['median_ms']:>9.1f} "
                f"{row['max_ms']:>8.1f} {row['queries']:>8}"
            )
    if results["sweep"]:
        w("")
        w("SWEEP (verify_pending against the HTTP sandbox; claims/s measured by the command)")
        w(
            f"{'workers':>7} {'claims':>7} {'seconds':>8} {'claims/s':>9} {'budget/s':>9} {'of budget':>9} "
            f"{'lookups':>8} {'dupl.':>6} {'failed':>6}"
        )
        for row in results["sweep"]:
            w(
                f"{row['workers']:>7} {row['checked']:>7} {row['seconds']:>8.2f} {row['rate']:>9.1f} "
                f"{row['budget']:>9} {row['budget_share']:>9.0%} {row['sandbox_lookups']:>8} "
                f"{row['duplicates']:>6} {row['failed']:>6}"
            )
            if row["duplicates"]:
                problems.append(f"sweep {row['workers']} workers: {row['duplicates']} duplicate look-ups")
            if row["failed"] or row["checked"] != row["claims"]:
                problems.append(f"sweep {row['workers']} workers: {row['checked']}/{row['claims']} checked")
    if results.get("worker"):
        from bench.workerrun import report_lines

        lines, worker_problems = report_lines(results["worker"])
        out.extend(lines)
        problems.extend(worker_problems)
    w("")
    w("TARGETS")
    for line in _targets(results):
        w(line)
    if problems:
        w("")
        w("PROBLEMS")
        for p in problems:
            w(f"  - {p}")
    return "\n".join(out), problems


def _targets(results: dict) -> list[str]:
    lines = []

    def verdict(ok: bool) -> str:
        return "met   " if ok else "MISSED"

    for scenario in ("create", "list_p1"):
        for size, per in results["api"].items():
            entry = per.get(scenario) or {}
            if entry.get("api") and entry.get("floor") and entry["floor"]["rps"]:
                share = entry["api"]["rps"] / entry["floor"]["rps"]
                lines.append(
                    f"  {verdict(share >= TARGETS['floor_share'])} {SCENARIO_LABELS[scenario]} at "
                    f"{_fmt_size(int(size))}: {share:.0%} of floor (≥ 60 %)"
                )
    if "scale" in results:
        s = results["scale"]
        lines.append(
            f"  {verdict(s['ratio'] <= TARGETS['scale_p99'])} list p99 {_fmt_size(s['hi'])} ÷ "
            f"{_fmt_size(s['lo'])}: {s['ratio']:.2f} (≤ 1.5)"
        )
    for row in results["admin"]:
        if row["page"].startswith("TO_REVIEW"):
            ok = row["queries"] <= TARGETS["admin_queries"] and row["max_ms"] <= TARGETS["admin_ms"]
            lines.append(
                f"  {verdict(ok)} admin TO_REVIEW changelist at {_fmt_size(row['size'])}: "
                f"{row['queries']} queries, max {row['max_ms']:.0f} ms (≤ 15 queries, ≤ 300 ms)"
            )
    for row in results["sweep"]:
        if row["workers"] == 4:
            ok = row["budget_share"] >= TARGETS["sweep_share"] and row["duplicates"] == 0
            lines.append(
                f"  {verdict(ok)} sweep 4 workers: {row['budget_share']:.0%} of the budget, "
                f"{row['duplicates']} duplicates (≥ 90 %, 0)"
            )
    return lines or ["  (no target measured in this run)"]


def main(argv=None) -> int:
    args = parse_args(argv)
    t0 = time.perf_counter()
    results = run(args)
    results["wall_seconds"] = time.perf_counter() - t0
    text, problems = report(results)
    print(text)
    print(f"\n(bench wall time {results['wall_seconds']:.0f} s)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2, default=str)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
