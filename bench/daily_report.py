"""How long the daily report takes for a day of 10 000 claims, and the dashboard's 30-day charts.

    .venv/bin/python bench/daily_report.py [--claims 10000] [--background 200000] [--repeat 5] [--keep]

A dedicated PostgreSQL database `bench_am_report` on 127.0.0.1, migrated, seeded by bench/seed.py
(INSERT … SELECT): `--background` claims over the last year plus `--claims` claims made during
yesterday (Caracas), with their audit events as the services write them (from/to status; one
claim in ten reviewed and decided by a reconciler hours later; withdrawals by clients).

Prints (numbers only, nothing asserted): the day's figures (so they can be checked for sense),
the report's median and worst time and its SQL query count, the dashboard's 30-day series cold
(nothing cached) and warm (past days cached), and the load average, since the machine is shared
and the timings move with it; the query counts do not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = os.environ.get("BENCH_REPORT_DB_NAME", "bench_am_report")


def _timed(fn, repeat: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()  # warm-up (plans, content types)
    times, queries, result = [], 0, None
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            result = fn()
            times.append((time.perf_counter() - t0) * 1000)
        queries = len(ctx.captured_queries)
    return statistics.median(times), max(times), queries, result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--claims", type=int, default=10_000, help="claims made during the reported day")
    parser.add_argument("--background", type=int, default=200_000, help="claims over the last year")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="reuse the bench database if it exists")
    args = parser.parse_args()

    from bench.common import db_url, standalone_django

    created = standalone_django(DB_NAME, keep=args.keep)
    from django.core.cache import cache

    from bench import seed
    from config.clock import caracas_today
    from transactions.reports import series
    from transactions.reports.daily import daily_report, day_bounds
    from transactions.reports.formats import as_table

    day = caracas_today() - dt.timedelta(days=1)
    if created:
        users = seed.ensure_users()
        owners = [str(u.pk) for u in users["owners"]]
        reconciler = str(users["reconciler"].pk)
        dsn = db_url(DB_NAME).replace("postgres://", "postgresql://", 1)
        t0 = time.perf_counter()
        if args.background:
            seed.seed_claims(
                dsn=dsn, start=0, stop=args.background, owner_ids=owners, reconciler_id=reconciler
            )
        seed.seed_claims(
            dsn=dsn,
            start=args.background,
            stop=args.background + args.claims,
            owner_ids=owners,
            day_start=day_bounds(day)[0],
            reconciler_id=reconciler,
        )
        print(
            f"seeded {args.background + args.claims:,} claims in {time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
        )

    median, worst, queries, report = _timed(lambda: daily_report(day), args.repeat)
    print(f"\nDaily report for {day.isoformat()} (Caracas), PostgreSQL, median of {args.repeat}\n")
    print(as_table(report))
    print(f"{'what':<44} {'median ms':>10} {'max ms':>10} {'queries':>8}")
    print("-" * 76)
    print(
        f"{'daily_report(day) (' + format(report.created, ',') + ' claims that day)':<44} "
        f"{median:>10.1f} {worst:>10.1f} {queries:>8}"
    )

    def cold():
        cache.clear()
        return series.last_days(30)

    median, worst, queries, _ = _timed(cold, max(1, args.repeat // 2))
    print(f"{'dashboard 30-day series, cold cache':<44} {median:>10.1f} {worst:>10.1f} {queries:>8}")
    median, worst, queries, _ = _timed(lambda: series.last_days(30), args.repeat)
    print(f"{'dashboard 30-day series, warm cache':<44} {median:>10.1f} {worst:>10.1f} {queries:>8}")
    print(
        f"\nload average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
        f"on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
