"""API latency at 100 k claims on PostgreSQL: create, and a filtered list (status + date range).

    .venv/bin/python bench/api_latency.py [--rows 100000] [--creates 300] [--lists 200] [--keep]

Creates (or reuses with --keep) a dedicated database `bench_am_transactions` on 127.0.0.1:5432,
migrates it, seeds the claims with bulk_create, then calls the real DRF views through Django's
test client with JWT auth (the whole request path: middleware, auth, validation, service, audit
event, serializer). Bank verification on create and rate limits are off: this measures our code
and the database, not Banesco. Prints a table of p50/p95/max in milliseconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "bench_am_transactions"


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def seed(rows: int) -> tuple:
    import datetime as dt
    from decimal import Decimal

    from django.contrib.auth.models import Group
    from django.utils import timezone

    from accounts.models import User
    from transactions.models import Status, Transaction

    clients = []
    for i in range(50):
        user, _ = User.objects.get_or_create(email=f"bench-client-{i}@example.test")
        user.groups.add(Group.objects.get(name="client"))
        clients.append(user)
    reconciler, _ = User.objects.get_or_create(
        email="bench-reconciler@example.test", defaults={"is_staff": True}
    )
    reconciler.groups.add(Group.objects.get(name="reconciler"))

    existing = Transaction.objects.filter(transaction_id__startswith="seed-").count()
    if existing >= rows:
        return clients, reconciler, Transaction.objects.count()
    rng = random.Random(42)
    statuses = [Status.COMPLETED] * 70 + [Status.IN_PROGRESS] * 10 + [Status.TO_REVIEW] * 10
    statuses += [Status.CANCELED] * 5 + [Status.UNKNOWN] * 5
    names = ["María Pérez", "José Rodríguez", "Ana Núñez", "Luis González", "Carmen Díaz", "Pedro Ramírez"]
    now = timezone.now()
    batch = []
    t0 = time.perf_counter()
    for i in range(existing, rows):
        created = now - dt.timedelta(seconds=rng.randint(0, 90 * 86400))
        batch.append(
            Transaction(
                transaction_id=f"seed-{i:07d}",
                status=rng.choice(statuses),
                bank=rng.choice(["BANESCO", "MOBILE_TRANSFER"]),
                reference=f"{i:012d}",
                amount=Decimal(rng.randint(100, 10_000_000)) / 100,
                payment_date=created.date(),
                payer_bank_code=rng.choice(["0102", "0105", "0108", "0134", "0191"]),
                customer_full_name=f"{rng.choice(names)} {i}",
                customer_phone=f"0414{rng.randint(0, 9_999_999):07d}",
                customer_national_id=f"V{rng.randint(1_000_000, 30_000_000)}",
                concept="Consulta",
                created_by=clients[i % len(clients)],
                created_at=created,
                next_verification_at=created,
            )
        )
        if len(batch) == 5000:
            Transaction.objects.bulk_create(batch)
            batch.clear()
    if batch:
        Transaction.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cur:
        # Steady state as autovacuum would leave it (visibility map for index-only counts).
        cur.execute("VACUUM (ANALYZE) transactions_transaction")
    print(f"seeded {rows - existing} claims in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return clients, reconciler, Transaction.objects.count()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--creates", type=int, default=300)
    parser.add_argument("--lists", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="reuse the bench database if it exists")
    args = parser.parse_args()

    from bench.common import standalone_django

    if standalone_django(DB_NAME, keep=args.keep):
        print("migrated a fresh bench database", file=sys.stderr)

    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from config.clock import caracas_today

    clients, reconciler, total = seed(args.rows)

    def client_for(user):
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        return c

    creator = client_for(clients[0])
    staff = client_for(reconciler)
    owner = client_for(clients[1])
    run_id = int(time.time())
    today = caracas_today()

    def timed(fn) -> float:
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1000

    def create(i):
        body = {
            "transaction_id": f"bench-{run_id}-{i}",
            "bank": "MOBILE_TRANSFER",
            "reference": f"9{run_id % 10**8:08d}{i:05d}",
            "amount": "1500.50",
            "payment_date": today.isoformat(),
            "payer_bank_code": "0102",
            "customer": {"full_name": "María Pérez", "phone": "+58 414-1234567", "national_id": "V12345678"},
        }
        r = creator.post("/api/v1/transactions/", body, format="json")
        assert r.status_code == 201, r.content

    date_from = (today - __import__("datetime").timedelta(days=30)).isoformat()
    list_params = {"status": "TO_REVIEW", "from_date": date_from, "to_date": today.isoformat(), "size": 20}

    def listing(c, params):
        def _call():
            r = c.get("/api/v1/transactions/", params)
            assert r.status_code == 200, r.content

        return _call

    # Warm-up (connections, caches, import paths).
    for i in range(10):
        create(args.creates + i)
        listing(staff, list_params)()

    results = {}
    results["create (POST, 201)"] = [timed(lambda i=i: create(i)) for i in range(args.creates)]
    results["list status+date range (staff, all clients)"] = [
        timed(listing(staff, list_params)) for _ in range(args.lists)
    ]
    results["list status+date range (client, own)"] = [
        timed(listing(owner, list_params)) for _ in range(args.lists)
    ]
    results["list search=name (staff)"] = [
        timed(listing(staff, {"search": "Núñez 12", "size": 20})) for _ in range(args.lists // 4)
    ]
    results["list search=reference prefix (staff)"] = [
        timed(listing(staff, {"search": "00000012", "size": 20})) for _ in range(args.lists // 4)
    ]

    print(f"\nAPI latency at {total} claims (PostgreSQL, Django test client, JWT), ms")
    print(f"{'operation':<48}{'n':>6}{'p50':>9}{'p95':>9}{'max':>9}")
    for name, values in results.items():
        print(
            f"{name:<48}{len(values):>6}{statistics.median(values):>9.2f}{_pct(values, 95):>9.2f}"
            f"{max(values):>9.2f}"
        )


if __name__ == "__main__":
    main()
