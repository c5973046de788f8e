"""Admin server time at 1 M claims: the TO_REVIEW queue, the changelist, the change page, the index.

    .venv/bin/python bench/admin_changelist.py [--rows 1000000] [--repeat 20] [--keep]

Creates (or reuses with --keep) a dedicated PostgreSQL database `bench_am_admin` on 127.0.0.1,
migrates it and seeds the claims in one `INSERT … SELECT generate_series(…)` (seconds, not
minutes), then VACUUM ANALYZE (the steady state autovacuum leaves). Each page is requested through
Django's test client as a logged-in reconciler (whole request path: middleware, session, admin,
templates); prints the median and max server time in ms and the number of SQL queries per page
(the query count does not depend on the machine's load; the times do: the load average is printed).
TO_REVIEW rows carry a cause (status_reason_code) and `review_since`, as the services write them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = os.environ.get("BENCH_ADMIN_DB_NAME", "bench_am_admin")

SEED_SQL = """
INSERT INTO transactions_transaction (
    id, transaction_id, status, bank, transaction_type, reference, amount, payment_date,
    payer_bank_code, customer_full_name, customer_phone, customer_national_id, concept,
    banesco_payload, status_reason, metadata, verification_attempts, last_verified_at,
    next_verification_at, created_by_id, created_at, updated_at, deleted_at,
    status_reason_code, review_since
)
SELECT
    gen_random_uuid(),
    'bench-' || lpad(g::text, 8, '0'),
    CASE WHEN g %% 100 < 70 THEN 'COMPLETED' WHEN g %% 100 < 80 THEN 'IN_PROGRESS'
         WHEN g %% 100 < 85 THEN 'TO_REVIEW' WHEN g %% 100 < 95 THEN 'CANCELED' ELSE 'UNKNOWN' END,
    CASE WHEN g %% 2 = 0 THEN 'BANESCO' ELSE 'MOBILE_TRANSFER' END,
    'TRANSACTION',
    lpad(g::text, 12, '0'),
    round((100 + (g * 7919) %% 1000000) / 100.0, 2),
    (ts AT TIME ZONE 'America/Caracas')::date,
    (ARRAY['0102','0105','0108','0134','0191','0172'])[1 + g %% 6],
    (ARRAY['María Pérez','José Rodríguez','Ana Núñez','Luis González','Carmen Díaz'])[1 + g %% 5] || ' ' || g,
    '0414' || lpad(((g * 104729) %% 10000000)::text, 7, '0'),
    'V' || (1000000 + (g * 7) %% 29000000),
    'Consulta',
    CASE WHEN g %% 100 BETWEEN 80 AND 84 THEN
        jsonb_build_object('httpStatus', jsonb_build_object('statusCode', '200', 'statusDesc', 'OK'),
                           'dataResponse', jsonb_build_object('transactionDetail', jsonb_build_array(
                               jsonb_build_object('referenceNumber', lpad(g::text, 12, '0'),
                                                  'amount', '1.00', 'trnType', 'CR'))))
    END,
    CASE WHEN g %% 100 BETWEEN 80 AND 84 THEN 'Amount differs.' ELSE '' END,
    '{}'::jsonb,
    1,
    ts + interval '1 minute',
    NULL,
    (%(owners)s::uuid[])[1 + g %% %(n_owners)s],
    ts,
    ts,
    NULL,
    CASE WHEN g %% 100 BETWEEN 80 AND 84 THEN
        (ARRAY['AMOUNT_MISMATCH','NOT_FOUND_WINDOW','SEVERAL_ROWS','DEBIT','DUPLICATE_REFERENCE',
               'CURRENCY_MISMATCH','REFERENCE_MISMATCH'])[1 + (g / 100) %% 7]
         WHEN g %% 100 < 70 THEN 'VERIFIED' ELSE '' END,
    CASE WHEN g %% 100 BETWEEN 80 AND 84 THEN ts + interval '1 minute' END
FROM generate_series(%(start)s::bigint, %(stop)s::bigint) AS g,
     LATERAL (SELECT now() - ((g * 7907) %% (90 * 86400)) * interval '1 second' AS ts) AS t
"""


def seed(rows: int):
    from django.contrib.auth.models import Group
    from django.db import connection

    from accounts.models import User
    from transactions.models import Transaction

    owners = []
    for i in range(20):
        user, _ = User.objects.get_or_create(email=f"bench-admin-client-{i}@example.test")
        user.groups.add(Group.objects.get(name="client"))
        owners.append(str(user.pk))
    reconciler, _ = User.objects.get_or_create(
        email="bench-admin-reconciler@example.test", defaults={"is_staff": True}
    )
    reconciler.groups.add(Group.objects.get(name="reconciler"))

    existing = Transaction.objects.count()
    if existing < rows:
        t0 = time.perf_counter()
        step = 250_000
        with connection.cursor() as cur:
            for start in range(existing + 1, rows + 1, step):
                stop = min(start + step - 1, rows)
                cur.execute(
                    SEED_SQL, {"owners": owners, "n_owners": len(owners), "start": start, "stop": stop}
                )
        seeded = time.perf_counter() - t0
        t1 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("VACUUM (ANALYZE) transactions_transaction")
        print(
            f"seeded {rows - existing} claims in {seeded:.1f} s (generate_series); "
            f"VACUUM ANALYZE {time.perf_counter() - t1:.1f} s",
            file=sys.stderr,
        )
    return reconciler


def prepare_workbench_claim(claim, reconciler) -> list[int]:
    """Give one queued claim what a reconciler's claim page shows: a real verification through the
    in-process sandbox (decided_lookup, AMOUNT_MISMATCH), a search from the workbench (a BankLookup
    by the reconciler) and an assignment. Returns the search's look-up ids (for ?wb_search=)."""
    import uuid

    from banking.client import BanescoClient
    from banking.conf import BanescoConfig
    from banking.sandbox.state import SandboxState
    from transactions import verification
    from transactions.models import Transaction
    from transactions.workbench import assignment, search

    state = SandboxState(flavour="qa", seed_demo=False)
    state.add_payment(
        reference=claim.reference,
        amount=str(claim.amount + 1),
        trn_date=claim.payment_date,
        phone="58" + claim.customer_phone[1:],
        source_bank_id=claim.payer_bank_code,
    )
    config = BanescoConfig(environment="sandbox", cache_prefix=f"bench-{uuid.uuid4().hex[:8]}")
    client = BanescoClient(config, sandbox_state=state, sleep=lambda s: None)
    Transaction.objects.filter(pk=claim.pk).update(status="IN_PROGRESS")
    verification.verify_claim(claim_id=claim.pk, client=client, force=True)
    claim.refresh_from_db()
    params = search.SearchParams(**search.initial_params(claim))
    outcome = search.claim_search_bank(claim=claim, actor=reconciler, params=params, client=client)
    assignment.claim_take(claim=claim, actor=reconciler)
    print(
        f"workbench claim {claim.transaction_id}: {claim.status} {claim.status_reason_code}", file=sys.stderr
    )
    return outcome.lookup_ids


def measure(client, url: str, repeat: int) -> tuple[float, float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up (caches, plans)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
        queries = len(ctx.captured_queries)
    return statistics.median(times), max(times), queries, response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="reuse the bench database if it exists")
    args = parser.parse_args()

    from bench.common import standalone_django

    standalone_django(DB_NAME, keep=args.keep)
    from django.test import Client
    from django.urls import reverse

    from transactions.models import Transaction

    reconciler = seed(args.rows)
    total = Transaction.objects.count()
    client = Client()
    client.force_login(reconciler)

    changelist = reverse("admin:transactions_transaction_changelist")
    queued = (
        Transaction.objects.filter(status="TO_REVIEW")
        .order_by("review_since", "created_at")
        .only("pk", "customer_phone")
        .first()
    )
    mobile = (
        Transaction.objects.filter(status="TO_REVIEW", bank="MOBILE_TRANSFER", decided_lookup__isnull=True)
        .order_by("-created_at")
        .first()
    )
    search_ids = prepare_workbench_claim(mobile, reconciler)
    claim_page = reverse("admin:transactions_transaction_change", args=[mobile.pk])
    pages = [
        ("TO_REVIEW queue (oldest first)", f"{changelist}?status__exact=TO_REVIEW"),
        ("TO_REVIEW queue, page 100", f"{changelist}?status__exact=TO_REVIEW&p=100"),
        ("TO_REVIEW queue, cause: amount", f"{changelist}?status__exact=TO_REVIEW&cause=AMOUNT_MISMATCH"),
        ("TO_REVIEW queue, cause: currency", f"{changelist}?status__exact=TO_REVIEW&cause=CURRENCY_MISMATCH"),
        ("changelist, unfiltered", changelist),
        ("changelist, status+payer bank", f"{changelist}?status__exact=COMPLETED&payer_bank=0105"),
        ("changelist, created this month", f"{changelist}?created_at__year=2026&created_at__month=11"),
        ("search: phone", f"{changelist}?q={queued.customer_phone}"),
        ("search: reference prefix", f"{changelist}?q=00000012345"),
        ("search: name contains", f"{changelist}?q=Núñez 4242"),
        ("change page (TO_REVIEW claim)", reverse("admin:transactions_transaction_change", args=[queued.pk])),
        ("claim page + workbench (verified)", claim_page),
        ("claim page + search results", f"{claim_page}?wb_search={','.join(map(str, search_ids))}"),
        ("admin index (dashboard)", reverse("admin:index")),
    ]
    print(
        f"\nAdmin server time, {total:,} claims, median of {args.repeat} (Django test client, PostgreSQL)\n"
    )
    print(f"{'page':<36} {'median ms':>10} {'max ms':>10} {'queries':>8}")
    print("-" * 68)
    for label, url in pages:
        median, worst, queries, _ = measure(client, url, args.repeat)
        print(f"{label:<36} {median:>10.1f} {worst:>10.1f} {queries:>8}")
    print(f"\nload average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
