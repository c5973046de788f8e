"""Sweep throughput against the HTTP Banesco sandbox (`manage.py banesco_sandbox`).

    .venv/bin/python -m bench.sweep [--claims 300] [--latency-ms 100] [--workers 1 2 4] [--processes 1]

For each worker count: creates N due pago-móvil claims (and the matching sandbox payments) in a
scratch PostgreSQL database, runs `manage.py verify_pending --workers W` (optionally in several
processes at once), and prints claims/s and the duplicate look-ups counted by the sandbox.
Needs PostgreSQL and Redis on 127.0.0.1 (the shared cache carries the token and the budgets).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DB_NAME = os.environ.get("BENCH_DB_NAME", "bench_am_sweep")
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")


def _env(extra: dict | None = None) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "test",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": DB_URL,
        "REDIS_URL": REDIS_URL,
        **(extra or {}),
    }


def _manage(*args, env=None, **kw):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env or _env(), check=True, **kw)


def _setup_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    _manage("migrate", "--noinput", stdout=subprocess.DEVNULL)


def _seed(n: int, run: str) -> list[dict]:
    """Create n due claims through the ORM (bench data only) and return the sandbox payments."""
    os.environ.update(_env())
    import django

    django.setup()
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from accounts.models import User
    from config.clock import caracas_today
    from transactions.models import Transaction

    owner, _ = User.objects.get_or_create(email="bench@example.test")
    # Park the claims of earlier runs (scratch database) so each run sweeps only its own claims.
    Transaction.objects.update(next_verification_at=timezone.now() + timedelta(days=30))
    base = 100000000000 + int(uuid.uuid4().int % 10**5) * 10**6
    refs = [f"{base + i}" for i in range(n)]
    # A fresh payer phone per run: pago móvil duplicate detection keys on last 6 digits + phone.
    phone = f"0416{uuid.uuid4().int % 10**7:07d}"
    Transaction.objects.bulk_create(
        Transaction(
            transaction_id=f"bench-{run}-{i}",
            bank="MOBILE_TRANSFER",
            reference=ref,
            amount=Decimal("10.00"),
            payment_date=caracas_today(),
            payer_bank_code="0102",
            customer_full_name="Bench",
            customer_phone=phone,
            customer_national_id="V12345678",
            created_by=owner,
            next_verification_at=timezone.now() - timedelta(seconds=5),
        )
        for i, ref in enumerate(refs)
    )
    return [
        {"reference": r, "amount": "10.00", "phone": "58" + phone[1:], "source_bank_id": "0102"} for r in refs
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--claims", type=int, default=300)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--processes", type=int, default=1, help="sweeper processes per run")
    args = parser.parse_args()

    from tests.banking.sandbox_server import SandboxProcess

    _setup_database()
    sandbox = SandboxProcess(latency_ms=args.latency_ms)
    print(
        f"sandbox {sandbox.url} latency={args.latency_ms}ms claims={args.claims} processes={args.processes}"
    )
    print(f"{'workers':>8} {'claims':>7} {'seconds':>8} {'claims/s':>9} {'lookups':>8} {'duplicates':>10}")
    try:
        for workers in args.workers:
            run = uuid.uuid4().hex[:6]
            sandbox.reset(seed_demo=False)
            sandbox.set(latency_ms=args.latency_ms)
            sandbox.add_payments(_seed(args.claims, run))
            env = _env(
                {
                    "BANESCO_ENVIRONMENT": "sandbox",
                    "BANESCO_SANDBOX_IN_PROCESS": "false",
                    "BANESCO_AUTH_BASE_URL": sandbox.url,
                    "BANESCO_API_BASE_URL": sandbox.url,
                    "BANESCO_CACHE_PREFIX": f"bench-{run}",
                    "BANESCO_LOOKUPS_PER_SECOND": "1000",
                }
            )
            cmd = [sys.executable, "manage.py", "verify_pending", "--workers", str(workers), "--no-progress"]
            started = time.monotonic()
            procs = [
                subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for _ in range(args.processes)
            ]
            outs = [p.communicate() for p in procs]
            elapsed = time.monotonic() - started
            for p, (_out, err) in zip(procs, outs, strict=True):
                if p.returncode:
                    print(err.decode()[-2000:], file=sys.stderr)
            # The commands' own timing excludes Django start-up; report the sweep itself.
            sweep_seconds = max(float(o.decode().split("elapsed=")[1].split("s")[0]) for o, _ in outs)
            summary = " | ".join(o.decode().strip().splitlines()[-1] for o, _ in outs)
            counters = sandbox.counters()
            by_ref = counters["lookups_by_reference"]
            duplicates = sum(v - 1 for v in by_ref.values() if v > 1)
            print(
                f"{workers:>8} {args.claims:>7} {sweep_seconds:>8.2f} {args.claims / sweep_seconds:>9.1f} "
                f"{counters['lookup_requests']:>8} {duplicates:>10}   (wall incl. start-up {elapsed:.1f}s)"
            )
            print(f"         {summary}")
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
