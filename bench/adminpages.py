"""Admin scenario: the reconcilers' TO_REVIEW changelist and a claim's change page.

Rendered in-process through Django's test client with the same production settings as the
servers (so no network or gunicorn in the figure: server time only), logged in as a reconciler.
Reports the median and worst server time and the number of SQL queries per page.
"""

from __future__ import annotations

import statistics
import time

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def _measure(client: Client, url: str, runs: int) -> dict:
    for _ in range(2):  # warm-up: templates, content types, caches
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"admin {url} answered {response.status_code}")
    times = []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"admin {url} answered {response.status_code}")
        queries = max(queries, len(ctx.captured_queries))
    return {"url": url, "median_ms": statistics.median(times), "max_ms": max(times), "queries": queries}


def run(*, reconciler, runs: int = 10) -> list[dict]:
    from transactions.models import Status, Transaction

    client = Client()
    client.force_login(reconciler)
    base = "/" + settings.ADMIN_URL.lstrip("/") + "transactions/transaction/"
    claim = Transaction.objects.filter(status=Status.TO_REVIEW, deleted_at__isnull=True).order_by(
        "created_at"
    )
    claim = claim.only("pk").first()
    results = [
        {"page": "TO_REVIEW changelist", **_measure(client, base + "?status__exact=TO_REVIEW", runs)},
    ]
    if claim is not None:
        results.append({"page": "change page", **_measure(client, f"{base}{claim.pk}/change/", runs)})
    return results
