"""Smoke tests of the bench harness (no timing is asserted anywhere).

* the seeder produces claims the application itself would accept, with their audit events;
* the floor views answer the same rows as the API for the benchmarked requests (same SQL);
* the report turns errors, duplicates and crashes into problems (the non-zero exit of CI).
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from bench import floor, runner, seed
from transactions.models import Status, Transaction

pytestmark = pytest.mark.django_db(transaction=True)


def _dsn() -> str:
    s = connection.settings_dict
    return (
        f"postgresql://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    )


@pytest.fixture
def seeded():
    users = seed.ensure_users()
    info = seed.seed_claims(dsn=_dsn(), start=0, stop=600, owner_ids=[str(u.pk) for u in users["owners"]])
    return users, info


def test_seed_makes_valid_claims_and_their_events(seeded):
    from audit.models import AuditEvent

    _users, info = seeded
    assert info["claims"] == 600
    claims = Transaction.objects.all()
    assert claims.count() == 600
    statuses = set(claims.values_list("status", flat=True))
    assert statuses == set(Status.values)
    not_pending = claims.exclude(status=Status.IN_PROGRESS).count()
    # one decided claim in ten (reference ending in 0) went through review: a third event
    reviewed = claims.filter(status__in=[Status.COMPLETED, Status.CANCELED], reference__endswith="0").count()
    assert reviewed > 0
    assert info["events"] == 600 + not_pending + reviewed == AuditEvent.objects.count()
    for claim in claims[:200]:
        assert re.fullmatch(r"04\d{9}", claim.customer_phone)
        assert re.fullmatch(r"V\d{4,8}", claim.customer_national_id)
        assert claim.amount > 0
        assert claim.payment_date <= claim.created_at.date()
    # Pending claims are parked out of the sweep's way.
    assert not claims.filter(
        status__in=["IN_PROGRESS", "UNKNOWN"], next_verification_at__lte=timezone.now()
    ).exists()


def _claim_sql(client, url) -> list[str]:
    """The claim-table SQL a request runs, from FROM to ORDER BY: tables, joins and filters (the
    ORM names the floor's `.values()` sort column by position; the rows are compared below)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    return [q.split(" FROM ", 1)[1].split(" ORDER BY ")[0] for q in sql if '"transactions_transaction"' in q]


def test_floor_answers_the_same_rows_as_the_api(seeded, auth_client, settings):
    users, _ = seeded
    api = auth_client(users["reconciler"])
    bare = Client()
    query = "status=TO_REVIEW&from_date=2000-01-01&to_date=2100-01-01&size=5"  # ~30 of 600 seeded
    api_page = api.get(f"/api/v1/transactions/?{query}&page=2").json()
    one = Transaction.objects.order_by("transaction_id").first()
    api_one = api.get(f"/api/v1/transactions/{one.transaction_id}/").json()
    api_status = api.get(f"/api/v1/transactions/{one.transaction_id}/status/").json()
    reads = [f"/api/v1/transactions/?{query}&page=2", f"/api/v1/transactions/{one.transaction_id}/"]
    reads.append(f"/api/v1/transactions/{one.transaction_id}/status/")
    api_sql = [_claim_sql(api, url) for url in reads]
    settings.ROOT_URLCONF = "bench.urls"  # the floor server's URLs
    # The same SQL from FROM on: the same tables and joins (the deciding look-up), filters, order.
    assert [_claim_sql(bare, url) for url in reads] == api_sql
    assert "LEFT OUTER JOIN" in api_sql[1][0]
    floor_page = bare.get(f"/api/v1/transactions/?{query}&page=2").json()
    assert floor_page["total"] == api_page["total"] > 5
    assert [r["transaction_id"] for r in floor_page["items"]] == [
        r["transaction_id"] for r in api_page["items"]
    ]
    assert bare.get(f"/api/v1/transactions/{one.transaction_id}/").json()["reference"] == api_one["reference"]
    assert (
        bare.get(f"/api/v1/transactions/{one.transaction_id}/status/").json()["status"]
        == api_status["status"]
    )


@pytest.mark.urls("bench.urls")
def test_floor_create_goes_through_the_service(monkeypatch):
    users = seed.ensure_users()
    monkeypatch.setenv("BENCH_FLOOR_USER_EMAIL", users["client"].email)
    monkeypatch.setattr(floor, "_USER", None)
    from config.clock import caracas_today

    body = {
        "transaction_id": "floor-1",
        "bank": "MOBILE_TRANSFER",
        "reference": "123456789012",
        "amount": "150.00",
        "payment_date": caracas_today().isoformat(),
        "payer_bank_code": "0102",
        "customer": {"full_name": "Ana Núñez", "phone": "04141234567", "national_id": "V1234567"},
    }
    response = Client().post("/api/v1/transactions/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    claim = Transaction.objects.get(transaction_id="floor-1")
    assert claim.created_by == users["client"]
    from audit.models import AuditEvent

    assert AuditEvent.objects.filter(target_id=str(claim.pk), action="transaction.created").count() == 1


def test_report_flags_errors_duplicates_and_crashes():
    load = {"rps": 10.0, "p50_ms": 1.0, "p99_ms": 2.0, "max_ms": 3.0, "requests": 100, "errors": 0}
    results = {
        "started_at": "now",
        "config": {"cpus": 2, "gunicorn_workers": 5, "concurrency": 8, "duration_s": 10},
        "seed": [],
        "api": {
            "10000": {
                "list_total": 5,
                "deep_page": 1,
                "create": {"api": dict(load, errors=3), "floor": load},
                "list_p1": {"api": dict(load, rps=5.0), "floor": load},
            }
        },
        "explain": {},
        "admin": [],
        "sweep": [
            {
                "workers": 4, "claims": 10, "checked": 10, "completed": 10, "failed": 0, "lookups": 11,
                "sandbox_lookups": 11, "seconds": 1.0, "rate": 10.0, "budget": 20, "budget_share": 0.5,
                "duplicates": 1,
            }
        ],
        "failures": ["admin: boom"],
    }  # fmt: skip
    text, problems = runner.report(results)
    assert "api create at 10000: 3 errors" in " ".join(problems).lower()
    assert any("duplicate" in p for p in problems)
    assert "admin: boom" in problems
    assert "MISSED list status+dates p1 at 10 k: 50% of floor" in text
    assert "MISSED sweep 4 workers" in text
    clean = dict(results, failures=[], sweep=[], api={"10000": {"list_total": 5, "deep_page": 1}})
    assert runner.report(clean)[1] == []


@pytest.mark.parametrize("zone", ["America/Caracas", "UTC"])
def test_claim_output_fast_path_equals_the_declared_fields(seeded, zone):
    """ClaimOutputSerializer builds its dict directly (a bench fix); it must equal DRF's field-by-field
    output for every kind of seeded claim (statuses, null datetimes, stored bank answers), in the
    Caracas time zone and in UTC (where DRF writes `Z`)."""
    from rest_framework import serializers as drf

    from transactions.api.serializers import ClaimOutputSerializer

    with timezone.override(zone):
        _compare_fast_and_slow(Transaction.objects.all(), ClaimOutputSerializer, drf)


@pytest.mark.parametrize("zone", ["America/Caracas", "UTC"])
def test_claim_status_fast_path_equals_the_declared_fields(seeded, zone):
    """ClaimStatusOutputSerializer builds its dict directly too (a bench fix): equal to DRF's
    field-by-field output, keys in order, for every seeded claim, in Caracas and in UTC."""
    from rest_framework import serializers as drf

    from transactions.api.serializers import ClaimStatusOutputSerializer

    with timezone.override(zone):
        for claim in Transaction.objects.all():
            ser = ClaimStatusOutputSerializer(claim)
            fast, slow = ser.data, drf.Serializer.to_representation(ser, claim)
            assert list(fast) == list(slow) and dict(fast) == dict(slow)


def _compare_fast_and_slow(claims, ClaimOutputSerializer, drf):
    for claim in claims:
        ser = ClaimOutputSerializer(claim)
        fast = ser.data
        slow = drf.Serializer.to_representation(ser, claim)
        assert list(fast) == list(slow)
        assert dict(fast) == {k: (dict(v) if k == "customer" else v) for k, v in slow.items()}


def test_worker_report_flags_lost_claims_and_duplicates():
    from bench import workerrun

    create = [{"latency_ms": 0, "rps": 50.0, "p50_ms": 20.0, "p99_ms": 60.0, "errors": 0}]
    latency = {
        "rate": 10.0, "workers": 1, "claims": 40, "final": 40, "create_seconds": 4.0, "drain_seconds": 4.5,
        "throughput": 8.9, "p50_s": 0.2, "p99_s": 0.6, "max_s": 0.7, "mean_s": 0.3, "duplicates": 0,
        "budget": 20,
    }  # fmt: skip
    lines, problems = workerrun.report_lines({"create": create, "latency": [latency]})
    assert problems == [] and any("create → final status" in line for line in lines)
    _lines, problems = workerrun.report_lines(
        {"create": [dict(create[0], errors=2)], "latency": [dict(latency, final=39, duplicates=1)]}
    )
    assert len(problems) == 2 and "39/40 final, 1 duplicates" in problems[1]


def test_serving_shapes_parse_workers_threads_connections_env_and_sync():
    from bench.serving import _shape

    base = {"KEEP": "1"}
    assert _shape("5x2", base) == (5, 2, {"KEEP": "1"}, "production")
    assert _shape("5x2c3", base) == (5, 2, {"KEEP": "1", "GUNICORN_WORKER_CONNECTIONS": "3"}, "production")
    workers, threads, env, serving = _shape("3x1:GUNICORN_KEEPALIVE=5,A=b", base)
    assert (workers, threads, serving) == (3, 1, "production")
    assert env == {"KEEP": "1", "GUNICORN_KEEPALIVE": "5", "A": "b"}
    assert _shape("5x1:sync", base)[3] == "sync"
    assert base == {"KEEP": "1"}  # the shared environment is not changed
