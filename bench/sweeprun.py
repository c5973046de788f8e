"""Sweep scenario: `manage.py verify_pending --workers W` against the HTTP sandbox.

For each worker count W: N × W fresh due pago-móvil claims (and the matching sandbox payments), the
sandbox at a fixed latency, the configured global look-up budget (BANESCO_LOOKUPS_PER_SECOND,
default 20/s), production settings (bench/settings.py pointing at the HTTP sandbox). Reports
claims/s as measured by the command itself (start-up excluded), as a share of the budget, and the
duplicate look-ups counted by the sandbox per reference (must be 0).
"""

from __future__ import annotations

import re
import subprocess
import uuid

import psycopg

from bench.common import PYTHON, ROOT, log, production_env

SEED_SQL = """
INSERT INTO transactions_transaction (
    id, transaction_id, status, bank, transaction_type, reference, amount, payment_date,
    payer_bank_code, customer_full_name, customer_phone, customer_national_id, concept,
    status_reason, metadata, verification_attempts, next_verification_at, created_by_id,
    created_at, updated_at)
SELECT gen_random_uuid(), 'sweep-' || %(run)s || '-' || i, 'IN_PROGRESS', 'MOBILE_TRANSFER', 'TRANSACTION',
    %(prefix)s || lpad(i::text, 6, '0'), 10.00, (now() AT TIME ZONE 'America/Caracas')::date, '0102',
    'Bench Sweep', '04161234567', 'V12345678', '', '', '{}'::jsonb, 0, now() - interval '5 seconds',
    %(owner)s, now(), now()
FROM generate_series(1, %(n)s) AS i
"""
PARK_SQL = """
UPDATE transactions_transaction SET next_verification_at = now() + interval '1 day'
WHERE status IN ('IN_PROGRESS', 'UNKNOWN') AND deleted_at IS NULL
  AND next_verification_at <= now() + interval '1 hour'
"""
SUMMARY_RE = re.compile(r"checked=(\d+) completed=(\d+).* failed=(\d+) lookups=(\d+) elapsed=([\d.]+)s")


def run(
    *, dsn: str, owner_id: str, claims_per_worker: int, workers_list: list[int], latency_ms: int, budget: int
) -> list[dict]:
    from tests.banking.sandbox_server import SandboxProcess

    with psycopg.connect(dsn, autocommit=True) as conn:
        parked = conn.execute(PARK_SQL).rowcount  # claims the API scenarios created: not this sweep's
    if parked:
        log(f"sweep: moved {parked} pending claims of the API scenarios out of the way (+1 day)")
    sandbox = SandboxProcess(latency_ms=latency_ms)
    results = []
    try:
        for n, workers in enumerate(workers_list):
            # The same amount of work per worker, so every run lasts about as long and the end of
            # a run (the last leased batch finishing alone) weighs the same in each figure.
            claims = claims_per_worker * workers
            run_id = uuid.uuid4().hex[:8]
            prefix = f"8{n:02d}{uuid.uuid4().int % 1000:03d}"
            sandbox.reset(seed_demo=False)
            sandbox.set(latency_ms=latency_ms)
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(SEED_SQL, {"run": run_id, "prefix": prefix, "owner": owner_id, "n": claims})
            sandbox.add_payments(
                [
                    {
                        "reference": f"{prefix}{i:06d}",
                        "amount": "10.00",
                        "phone": "584161234567",
                        "source_bank_id": "0102",
                    }
                    for i in range(1, claims + 1)
                ]
            )
            env = production_env(
                extra={
                    "BENCH_BANESCO_SANDBOX_URL": sandbox.url,
                    "BANESCO_LOOKUPS_PER_SECOND": str(budget),
                    "BANESCO_CACHE_PREFIX": f"bench-sweep-{run_id}",
                    "LOG_LEVEL": "WARNING",
                }
            )
            proc = subprocess.run(
                [PYTHON, "manage.py", "verify_pending", "--workers", str(workers), "--no-progress"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            match = SUMMARY_RE.search(proc.stdout)
            if proc.returncode != 0 or match is None:
                raise RuntimeError(f"verify_pending failed: {proc.stdout[-1500:]} {proc.stderr[-1500:]}")
            checked, completed, failed, lookups, seconds = match.groups()
            counters = sandbox.counters()
            by_ref = counters.get("lookups_by_reference", {})
            duplicates = sum(v - 1 for v in by_ref.values() if v > 1)
            rate = int(checked) / float(seconds) if float(seconds) else 0.0
            results.append(
                {
                    "workers": workers,
                    "claims": claims,
                    "checked": int(checked),
                    "completed": int(completed),
                    "failed": int(failed),
                    "lookups": int(lookups),
                    "sandbox_lookups": counters.get("lookup_requests", 0),
                    "seconds": float(seconds),
                    "rate": rate,
                    "budget": budget,
                    "budget_share": rate / budget,
                    "duplicates": duplicates,
                }
            )
            log(f"sweep {workers} worker(s): {checked} claims in {seconds}s = {rate:.1f}/s, dup {duplicates}")
    finally:
        sandbox.stop()
    return results
