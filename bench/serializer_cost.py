"""What the list's two hand-made speed-ups buy, against the plain django-filter / DRF code.

    .venv/bin/python -m bench.serializer_cost [--claims 50] [--repeat 15] [--number 20] [--keep]

In-process, on its own PostgreSQL database (`bench_am_serializer`): 50 pago-móvil claims are
created by the claim service and verified by the real verification against the in-process
sandbox (so each carries the deciding look-up its `banesco_details` are built from). Then, for
each variant, the same work is timed `--repeat` times `--number` iterations each and the
**minimum** per-iteration time is printed (the least-disturbed run: the right statistic for a
CPU-bound piece of code on a shared, loaded machine; the median is printed beside it):

* `serialize`: `ClaimOutputSerializer(page, many=True).data` for the page of 50 claims (already
  fetched), hand-written `to_representation` vs DRF's field-by-field `Serializer.to_representation`.
* `filterset`: build `TransactionFilter` for the bench's list query (status + date range), validate
  it and build (not run) its queryset: ours (form class memoised per language, validation of the
  parameters sent only) vs django-filter's own code (a form class per request, all 15 fields
  validated). Its `__init__` is django-filter's since this bench measured the shallow-copy
  re-implementation at ~1.5 % of a request (docs/PERFORMANCE.md).
* `request`: the whole `GET /api/v1/transactions/?status=COMPLETED&from_date=…&to_date=…&size=50`
  through Django's test client with a JWT (middleware, auth, filter, two queries, serializer,
  JSON), with each variant patched in, so each gain is also shown as a share of a request.

Timings are printed, never asserted (docs/PERFORMANCE.md "Hand-made speed-ups").
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "bench_am_serializer"
NAMES = ["María Pérez", "José Rodríguez", "Ana Núñez", "Luis González", "Carmen Díaz", "Pedro Ramírez"]


def measure(variants: dict, *, repeat: int, number) -> dict:
    """{name: (min wall, median wall, min CPU)} in milliseconds per call.

    Rounds are interleaved (every variant once per round, `repeat` rounds), so a change in the
    machine's load during the run touches all variants alike; the minimum over the rounds is the
    least-disturbed figure. CPU is this thread's CPU time (`time.thread_time`), which other
    processes on the machine do not inflate (it excludes PostgreSQL's side of a query). The garbage
    collector is paused while a variant runs (as `timeit` does) and collected between variants.
    """
    runs = {name: ([], []) for name in variants}
    for _ in range(repeat):
        for name, fn in variants.items():
            calls = number(name)
            gc.collect()
            gc.disable()
            try:
                w0, c0 = time.perf_counter(), time.thread_time()
                for _ in range(calls):
                    fn()
                wall, cpu = time.perf_counter() - w0, time.thread_time() - c0
            finally:
                gc.enable()
            runs[name][0].append(wall * 1000 / calls)
            runs[name][1].append(cpu * 1000 / calls)
    return {name: (min(w), statistics.median(w), min(c)) for name, (w, c) in runs.items()}


def seed(claims: int):
    from django.contrib.auth.models import Group

    from accounts.models import User
    from banking.sandbox.state import default_state
    from config.clock import caracas_today
    from transactions import services, verification
    from transactions.models import Transaction

    client, _ = User.objects.get_or_create(email="bench-serializer-client@example.test")
    client.groups.add(Group.objects.get(name="client"))
    staff, _ = User.objects.get_or_create(
        email="bench-serializer-staff@example.test", defaults={"is_staff": True}
    )
    staff.groups.add(Group.objects.get(name="reconciler"))
    bank = default_state()
    today = caracas_today()
    existing = Transaction.objects.count()
    for i in range(existing, claims):
        reference = f"77{i:010d}"
        amount = Decimal(1000 + i) / 100
        bank.add_payment(reference=reference, amount=amount, phone="584141234567", source_bank_id="0102")
        claim, _ = services.create_claim(
            data={
                "transaction_id": f"serializer-bench-{i}",
                "bank": "MOBILE_TRANSFER",
                "transaction_type": "TRANSACTION",
                "reference": reference,
                "amount": amount,
                "payment_date": today,
                "payer_bank_code": "0102",
                "customer_full_name": NAMES[i % len(NAMES)],
                "customer_phone": "04141234567",
                "customer_national_id": "V12345678",
                "concept": "Consulta",
                "metadata": {"invoice": f"F-{i}"},
            },
            actor=client,
        )
        verification.verify_claim(claim_id=claim.pk)
    completed = Transaction.objects.filter(status="COMPLETED", decided_lookup__isnull=False).count()
    return staff, completed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--claims", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--number", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="reuse the bench database if it exists")
    args = parser.parse_args()

    from bench.common import standalone_django

    standalone_django(DB_NAME, keep=args.keep)
    import django_filters
    from django.http import QueryDict
    from rest_framework import serializers as drf
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from config.clock import caracas_today
    from transactions import selectors
    from transactions.api import serializers as api_serializers
    from transactions.api.filters import TransactionFilter

    staff, completed = seed(args.claims)
    page = list(selectors.claim_list(user=staff).order_by("-created_at")[: args.claims])
    with_details = sum(1 for claim in page if claim.decided_lookup_id)

    class PlainClaimOutputSerializer(api_serializers.ClaimOutputSerializer):
        to_representation = drf.Serializer.to_representation

    class UpstreamFilter(TransactionFilter):
        get_form_class = django_filters.FilterSet.get_form_class
        is_valid = django_filters.FilterSet.is_valid
        errors = django_filters.FilterSet.errors
        filter_queryset = django_filters.FilterSet.filter_queryset

    ours = api_serializers.ClaimOutputSerializer(page, many=True).data
    plain = PlainClaimOutputSerializer(page, many=True).data
    assert ours == plain, "the hand-written to_representation must equal DRF's output"

    today = caracas_today()
    query = QueryDict(mutable=True)
    query.setlist("status", ["COMPLETED"])
    query["from_date"] = (today - dt.timedelta(days=30)).isoformat()
    query["to_date"] = today.isoformat()
    query["size"] = str(args.claims)
    base_qs = selectors.claim_list(user=staff)

    def filterset(cls):
        def run():
            fs = cls(data=query, queryset=base_qs)
            assert fs.is_valid()
            fs.qs  # noqa: B018 - builds the filtered queryset (no query runs)

        return run

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(staff).access_token}")
    url = f"/api/v1/transactions/?{query.urlencode()}"

    def request():
        r = client.get(url)
        assert r.status_code == 200 and len(r.json()["items"]) == len(page), r.content[:300]

    from transactions.api.views import TransactionViewSet as view

    def patched_request(*, serializer=None, filter_class=None):
        shipped = (view.serializer_class, view.filterset_class)

        def run():
            view.serializer_class = serializer or shipped[0]
            view.filterset_class = filter_class or shipped[1]
            try:
                request()
            finally:
                view.serializer_class, view.filterset_class = shipped

        return run

    for warm in (lambda: api_serializers.ClaimOutputSerializer(page, many=True).data, request):
        for _ in range(5):
            warm()

    r, n = args.repeat, args.number
    P = len(page)
    rows = [
        (
            f"serialize {P}: hand-written to_representation",
            lambda: api_serializers.ClaimOutputSerializer(page, many=True).data,
        ),
        (f"serialize {P}: DRF field by field", lambda: PlainClaimOutputSerializer(page, many=True).data),
        ("filterset: ours", filterset(TransactionFilter)),
        ("filterset: django-filter throughout", filterset(UpstreamFilter)),
        ("request: as shipped", patched_request()),
        ("request: DRF serializer", patched_request(serializer=PlainClaimOutputSerializer)),
        ("request: django-filter throughout", patched_request(filter_class=UpstreamFilter)),
        (
            "request: both plain",
            patched_request(serializer=PlainClaimOutputSerializer, filter_class=UpstreamFilter),
        ),
    ]
    results = measure(
        dict(rows), repeat=r, number=lambda name: max(1, n // 5) if name.startswith("request") else n
    )

    print(
        f"\nList cost pieces, in-process (page of {len(page)} claims, {with_details} with bank details; "
        f"{completed} completed claims in the database); min and median of {r} interleaved rounds, ms"
    )
    print(f"{'piece':<48}{'min':>9}{'median':>9}{'min CPU':>9}")
    for name, (low, med, cpu) in results.items():
        print(f"{name:<48}{low:>9.3f}{med:>9.3f}{cpu:>9.3f}")
    shipped, shipped_cpu = results["request: as shipped"][0], results["request: as shipped"][2]

    def share(a, b):
        gain, gain_cpu = results[b][0] - results[a][0], results[b][2] - results[a][2]
        return gain, 100 * gain / shipped, gain_cpu, 100 * gain_cpu / shipped_cpu

    print(
        f"\nGains (min vs min) and their share of the shipped request ({shipped:.2f} ms wall, "
        f"{shipped_cpu:.2f} ms CPU):"
    )
    print(f"  {'':<42}{'wall ms':>10}{'%':>8}{'CPU ms':>10}{'%':>8}")
    for label, a, b in (
        (
            "to_representation, pieces",
            f"serialize {P}: hand-written to_representation",
            f"serialize {P}: DRF field by field",
        ),
        ("to_representation, requests", "request: as shipped", "request: DRF serializer"),
        ("filter form memo + subset form, pieces", "filterset: ours", "filterset: django-filter throughout"),
        (
            "filter form memo + subset form, requests",
            "request: as shipped",
            "request: django-filter throughout",
        ),
    ):
        gain, pct, gain_cpu, pct_cpu = share(a, b)
        print(f"  {label:<42}{gain:>10.3f}{pct:>8.1f}{gain_cpu:>10.3f}{pct_cpu:>8.1f}")


if __name__ == "__main__":
    main()
