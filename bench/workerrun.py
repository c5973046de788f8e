"""Worker scenario: the bank off the request path (`manage.py verification_worker`).

Three measurements, all against the HTTP Banesco sandbox (`manage.py banesco_sandbox`) and the
production settings of the other scenarios (bench/settings.py, Redis, PostgreSQL):

* create: `POST /api/v1/transactions/` p50/p99 (wrk, gunicorn) with the sandbox at 0 ms and at
  1 000 ms latency. The request never calls the bank, so both must be equal within noise.
* latency: claims created at a fixed rate (10 and 40 claims/s, open loop, through the create
  service so each commit sends its NOTIFY) while 1 or 2 workers run; the sandbox answers in 100 ms
  and has a matching payment for every claim, so each claim's first look-up is final (COMPLETED).
  Reports create → final status (p50/p99/max, from the database: `last_verified_at − created_at`).
* throughput: a backlog of due claims drained by W workers: claims/s against the global budget
  (`BANESCO_LOOKUPS_PER_SECOND`, 20/s), and duplicate look-ups counted by the sandbox.

Numbers are printed, never asserted.
"""

from __future__ import annotations

import statistics
import subprocess
import time
import uuid

import psycopg

from bench.common import PYTHON, ROOT, log, production_env
from bench.sweeprun import PARK_SQL, SEED_SQL

PHONE = "04161234567"
SANDBOX_PHONE = "584161234567"
FINAL_SQL = """
SELECT EXTRACT(EPOCH FROM (last_verified_at - created_at)), status
FROM transactions_transaction WHERE transaction_id LIKE %(pattern)s
"""


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Workers:
    """W `manage.py verification_worker` processes (production settings, HTTP sandbox)."""

    def __init__(self, *, count: int, sandbox_url: str, budget: int, run_id: str):
        env = production_env(
            extra={
                "BENCH_BANESCO_SANDBOX_URL": sandbox_url,
                "BANESCO_LOOKUPS_PER_SECOND": str(budget),
                "BANESCO_CACHE_PREFIX": f"bench-worker-{run_id}",
                "LOG_LEVEL": "WARNING",
            }
        )
        cmd = [PYTHON, "manage.py", "verification_worker", "--poll-interval", "5"]
        self.procs = [
            subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(count)
        ]
        for proc in self.procs:  # each prints one line once it LISTENs (after Django start-up)
            line = proc.stdout.readline()
            if "started" not in line:
                self.stop()
                raise RuntimeError(f"verification_worker did not start: {line} {proc.stderr.read()[-1500:]}")

    def stop(self) -> list[str]:
        outs = []
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            out, err = proc.communicate(timeout=60)
            if proc.returncode:
                raise RuntimeError(f"verification_worker exited {proc.returncode}: {err[-1500:]}")
            outs.append(out.strip().splitlines()[-1] if out.strip() else "")
        log("workers: " + " | ".join(outs))
        return outs


def _wait_final(dsn: str, pattern: str, n: int, timeout: float) -> list[float]:
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as conn:
        while True:
            rows = conn.execute(FINAL_SQL, {"pattern": pattern}).fetchall()
            done = [float(s) for s, status in rows if status != "IN_PROGRESS" and s is not None]
            if len(done) >= n or time.monotonic() > deadline:
                return done
            time.sleep(0.2)


def _create_at_rate(*, owner, rate: float, seconds: float, prefix: str, run_id: str) -> int:
    """Open-loop arrivals through the create service (the API's code path minus HTTP)."""
    from transactions import services
    from transactions.validators import caracas_today

    today = caracas_today()
    n = int(rate * seconds)
    started = time.monotonic()
    for i in range(n):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        services.create_claim(
            data={
                "transaction_id": f"wk-{run_id}-{i}",
                "bank": "MOBILE_TRANSFER",
                "transaction_type": "TRANSACTION",
                "reference": f"{prefix}{i:06d}",
                "amount": "10.00",
                "payment_date": today,
                "payer_bank_code": "0102",
                "customer_full_name": "Bench Worker",
                "customer_phone": PHONE,
                "customer_national_id": "V12345678",
                "concept": "",
                "metadata": {},
            },
            actor=owner,
        )
    return n


def _payments(prefix: str, n: int, start: int = 0) -> list[dict]:
    return [
        {"reference": f"{prefix}{i:06d}", "amount": "10.00", "phone": SANDBOX_PHONE, "source_bank_id": "0102"}
        for i in range(start, start + n)
    ]


def run_latency(*, dsn, owner, sandbox, rates, workers_list, seconds, budget, latency_ms=100) -> list[dict]:
    rows = []
    for rate in rates:
        for workers in workers_list:
            run_id = uuid.uuid4().hex[:8]
            prefix = f"7{uuid.uuid4().int % 10**5:05d}"
            n = int(rate * seconds)
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(PARK_SQL)
            sandbox.reset(seed_demo=False)
            sandbox.set(latency_ms=latency_ms)
            sandbox.add_payments(_payments(prefix, n))
            pool = Workers(count=workers, sandbox_url=sandbox.url, budget=budget, run_id=run_id)
            try:
                t0 = time.monotonic()
                _create_at_rate(owner=owner, rate=rate, seconds=seconds, prefix=prefix, run_id=run_id)
                created_s = time.monotonic() - t0
                done = _wait_final(dsn, f"wk-{run_id}-%", n, timeout=max(120, n / 2))
                drained_s = time.monotonic() - t0
            finally:
                pool.stop()
            counters = sandbox.counters()
            dup = sum(v - 1 for v in counters.get("lookups_by_reference", {}).values() if v > 1)
            row = {
                "rate": rate,
                "workers": workers,
                "claims": n,
                "final": len(done),
                "create_seconds": created_s,
                "drain_seconds": drained_s,
                "throughput": len(done) / drained_s if drained_s else 0.0,
                "p50_s": _pct(done, 0.50),
                "p99_s": _pct(done, 0.99),
                "max_s": max(done) if done else float("nan"),
                "mean_s": statistics.fmean(done) if done else float("nan"),
                "duplicates": dup,
                "budget": budget,
            }
            rows.append(row)
            log(
                f"worker latency {rate}/s x {workers} worker(s): {len(done)}/{n} final, "
                f"p50 {row['p50_s']:.2f}s p99 {row['p99_s']:.2f}s"
            )
    return rows


def run_throughput(*, dsn, owner_id, sandbox, claims_per_worker, workers_list, budget, latency_ms=100):
    rows = []
    for n_run, workers in enumerate(workers_list):
        run_id = uuid.uuid4().hex[:8]
        prefix = f"6{n_run:02d}{uuid.uuid4().int % 1000:03d}"
        claims = claims_per_worker * workers
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(PARK_SQL)
        sandbox.reset(seed_demo=False)
        sandbox.set(latency_ms=latency_ms)
        sandbox.add_payments(_payments(prefix, claims, start=1))
        pool = Workers(count=workers, sandbox_url=sandbox.url, budget=budget, run_id=run_id)
        try:
            t0 = time.monotonic()
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(SEED_SQL, {"run": run_id, "prefix": prefix, "owner": owner_id, "n": claims})
                conn.execute("SELECT pg_notify('claims_verification_due', 'bench')")
            done = _wait_final(dsn, f"sweep-{run_id}-%", claims, timeout=max(120, claims / 2))
            seconds = time.monotonic() - t0
        finally:
            pool.stop()
        counters = sandbox.counters()
        dup = sum(v - 1 for v in counters.get("lookups_by_reference", {}).values() if v > 1)
        rate = len(done) / seconds if seconds else 0.0
        rows.append(
            {
                "workers": workers,
                "claims": claims,
                "final": len(done),
                "seconds": seconds,
                "rate": rate,
                "budget": budget,
                "budget_share": rate / budget,
                "duplicates": dup,
            }
        )
        log(f"worker throughput {workers} worker(s): {len(done)}/{claims} in {seconds:.1f}s = {rate:.1f}/s")
    return rows


def run_create(*, sandbox, client_token: str, today: str, duration: float, concurrency: int, workers: int):
    """wrk POST /api/v1/transactions/ against gunicorn pointed at the HTTP sandbox, at 0 and 1 000 ms."""
    from bench.loadgen import run_wrk
    from bench.server import Gunicorn

    env = production_env(extra={"JWT_ACCESS_MINUTES": "240", "BENCH_BANESCO_SANDBOX_URL": sandbox.url})
    server = Gunicorn(name="api-slow-bank", env=env, workers=workers)
    rows = []
    try:
        # Warm up until every gunicorn worker answers (first requests import lazily; slow on a busy box).
        for attempt in range(10):
            warm_args = [client_token, f"8{attempt}{uuid.uuid4().int % 1000:03d}", today]
            warm = run_wrk(
                url=server.url, script="create.lua", args=warm_args, duration=2, connections=concurrency
            )
            if warm.requests >= 4 * concurrency:
                break
        for i, latency_ms in enumerate((0, 1000)):
            sandbox.set(latency_ms=latency_ms)
            run_id = f"9{i}{uuid.uuid4().int % 1000:03d}"
            r = run_wrk(
                url=server.url,
                script="create.lua",
                args=[client_token, run_id, today],
                duration=duration,
                connections=concurrency,
            )
            rows.append(
                {
                    "latency_ms": latency_ms,
                    "rps": r.rps,
                    "p50_ms": r.p50_ms,
                    "p99_ms": r.p99_ms,
                    "errors": r.errors,
                    "sandbox_lookups": sandbox.counters().get("lookup_requests", 0),
                }
            )
            log(f"worker create at bank latency {latency_ms} ms: p50 {r.p50_ms:.1f} p99 {r.p99_ms:.1f} ms")
    finally:
        server.stop()
    return rows


def run(*, args, dsn: str, users: dict, client_token: str) -> dict:
    """The whole worker part (see the module docstring); `args` are the runner's."""
    from tests.banking.sandbox_server import SandboxProcess
    from transactions.validators import caracas_today

    sandbox = SandboxProcess(latency_ms=0)
    results: dict = {}
    try:
        sandbox.reset(seed_demo=False)
        results["create"] = run_create(
            sandbox=sandbox,
            client_token=client_token,
            today=caracas_today().isoformat(),
            duration=args.worker_create_seconds,
            concurrency=args.concurrency,
            workers=args.workers,
        )
        results["latency"] = run_latency(
            dsn=dsn,
            owner=users["client"],
            sandbox=sandbox,
            rates=args.worker_rates,
            workers_list=args.worker_counts,
            seconds=args.worker_seconds,
            budget=args.sweep_budget,
        )
        if args.worker_claims:
            results["throughput"] = run_throughput(
                dsn=dsn,
                owner_id=str(users["client"].pk),
                sandbox=sandbox,
                claims_per_worker=args.worker_claims,
                workers_list=sorted({*args.worker_counts, 4}),  # 4: enough to hit the budget
                budget=args.sweep_budget,
            )
    finally:
        sandbox.stop()
    return results


def report_lines(results: dict) -> tuple[list[str], list[str]]:
    out, problems = [], []
    create = results.get("create") or []
    if create:
        out.append("")
        out.append("WORKER: create while the bank is slow (HTTP sandbox latency; wrk against the API)")
        out.append(f"{'bank latency':>12} {'r/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'err':>4}")
        for row in create:
            out.append(
                f"{row['latency_ms']:>9} ms {row['rps']:>7.1f} {row['p50_ms']:>7.1f} {row['p99_ms']:>7.1f} "
                f"{row['errors']:>4}"
            )
            if row["errors"]:
                problems.append(f"worker create at {row['latency_ms']} ms: {row['errors']} errors")
    latency = results.get("latency") or []
    if latency:
        out.append("")
        out.append("WORKER: create → final status (HTTP sandbox 100 ms, every claim matches a payment)")
        out.append(
            f"{'claims/s':>8} {'workers':>7} {'claims':>6} {'final':>6} {'p50 s':>7} {'p99 s':>7} "
            f"{'max s':>7} {'drain s':>8} {'done/s':>7} {'dupl.':>5}"
        )
        for r in latency:
            out.append(
                f"{r['rate']:>8g} {r['workers']:>7} {r['claims']:>6} {r['final']:>6} {r['p50_s']:>7.2f} "
                f"{r['p99_s']:>7.2f} {r['max_s']:>7.2f} {r['drain_seconds']:>8.1f} {r['throughput']:>7.1f} "
                f"{r['duplicates']:>5}"
            )
            if r["final"] != r["claims"] or r["duplicates"]:
                problems.append(
                    f"worker latency {r['rate']}/s x {r['workers']}: {r['final']}/{r['claims']} final, "
                    f"{r['duplicates']} duplicates"
                )
    throughput = results.get("throughput") or []
    if throughput:
        out.append("")
        out.append("WORKER: throughput draining a backlog (HTTP sandbox 100 ms) vs the global budget")
        out.append(
            f"{'workers':>7} {'claims':>6} {'seconds':>8} {'claims/s':>9} {'budget/s':>9} "
            f"{'of budget':>9} {'dupl.':>5}"
        )
        for r in throughput:
            out.append(
                f"{r['workers']:>7} {r['claims']:>6} {r['seconds']:>8.2f} {r['rate']:>9.1f} {r['budget']:>9} "
                f"{r['budget_share']:>9.0%} {r['duplicates']:>5}"
            )
            if r["final"] != r["claims"] or r["duplicates"]:
                problems.append(
                    f"worker throughput x {r['workers']}: {r['final']}/{r['claims']}, dup {r['duplicates']}"
                )
    return out, problems
