"""The changelist at scale: bounded queries, capped counts, index-friendly search, the queue order."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from transactions.admin import changelist as tx_admin

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:transactions_transaction_changelist"


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    response.queries = [q["sql"] for q in ctx.captured_queries]
    return len(ctx.captured_queries), response


def _rows(response):
    return [row.transaction_id for row in response.context["cl"].result_list]


def test_query_count_does_not_grow_with_page_size(reconciler_user, make_claim, make_user, login):
    c = login(reconciler_user)
    owners = [make_user("client") for _ in range(5)]
    for i in range(10):
        make_claim(created_by=owners[i % 5])
    c.get(reverse(CHANGELIST))  # warm caches (content types, permissions)
    url = reverse(CHANGELIST) + "?status__exact=TO_REVIEW"
    q10, r10 = _count_queries(c, url)
    assert len(_rows(r10)) == 10
    for i in range(40):
        make_claim(created_by=owners[i % 5])
    q50, r50 = _count_queries(c, url)
    assert len(_rows(r50)) == 50
    assert q10 == q50
    # No full COUNT(*): every count over claims is capped with a LIMIT.
    counts = [q for q in r50.queries if "COUNT(" in q.upper() and "transactions_transaction" in q]
    assert counts and all("LIMIT" in q for q in counts), counts


def test_filtered_count_is_capped(reconciler_user, make_claim, login, monkeypatch):
    monkeypatch.setattr(tx_admin, "COUNT_CAP", 5)
    for _ in range(8):
        make_claim()
    c = login(reconciler_user)
    with CaptureQueriesContext(connection) as ctx:
        response = c.get(reverse(CHANGELIST) + "?status__exact=TO_REVIEW")
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 6" in q for q in counts), counts
    assert response.context["cl"].paginator.count_display == "5+"
    assert 'id="result-count">5+<' in response.content.decode()
    assert response.context["cl"].full_result_count is None  # show_full_result_count = False


def test_unfiltered_count_uses_the_planner_estimate(reconciler_user, make_claim, login, monkeypatch):
    monkeypatch.setattr(tx_admin, "COUNT_CAP", 5)
    for _ in range(8):
        make_claim()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE transactions_transaction")
    response = login(reconciler_user).get(reverse(CHANGELIST))
    paginator = response.context["cl"].paginator
    assert paginator.estimated
    assert paginator.count == 8
    assert paginator.count_display == "~8"


def test_review_queue_is_oldest_first_and_linked_from_the_index(reconciler_user, make_claim, login):
    now = timezone.now()
    newer = make_claim(created_at=now - dt.timedelta(hours=1))
    oldest = make_claim(created_at=now - dt.timedelta(days=3))
    make_claim(status="COMPLETED", created_at=now - dt.timedelta(days=9))
    c = login(reconciler_user)
    index = c.get(reverse("admin:index")).content.decode()
    queue_url = reverse(CHANGELIST) + "?status__exact=TO_REVIEW"
    assert f'href="{queue_url}"' in index
    response = c.get(queue_url)
    assert _rows(response) == [oldest.transaction_id, newer.transaction_id]
    # Without the queue filter the default is newest first.
    assert _rows(c.get(reverse(CHANGELIST)))[0] == newer.transaction_id


@pytest.mark.parametrize(
    ("term", "field"),
    [
        ("04161112233", "customer_phone"),
        ("V20111222", "customer_national_id"),
        ("20111222", "customer_national_id"),
        ("123456789012", "reference"),
        ("1234567", "reference"),
        ("ANA-777", "transaction_id"),
        ("maría", "customer_full_name"),
    ],
)
def test_search(term, field, reconciler_user, make_claim, login):
    target = make_claim(
        transaction_id="ANA-777",
        customer_phone="04161112233",
        customer_national_id="V20111222",
        reference="123456789012",
        customer_full_name="María Pérez",
    )
    make_claim()  # noise
    response = login(reconciler_user).get(reverse(CHANGELIST), {"q": term})
    assert _rows(response) == [target.transaction_id], field


def test_search_uses_no_upper_like_on_indexed_ids(reconciler_user, make_claim, login):
    make_claim()
    c = login(reconciler_user)
    with CaptureQueriesContext(connection) as ctx:
        c.get(reverse(CHANGELIST), {"q": "04161112233"})
    page_sql = [q["sql"] for q in ctx.captured_queries if "transactions_transaction" in q["sql"]]
    assert page_sql
    assert not any('UPPER("transactions_transaction"."customer_phone")' in s for s in page_sql)


def test_filters_and_badges_render(reconciler_user, make_claim, login):
    make_claim(payer_bank_code="0105", amount="1234567.50")
    make_claim(payer_bank_code="0102")
    c = login(reconciler_user)
    response = c.get(reverse(CHANGELIST), {"payer_bank": "0105"})
    html = response.content.decode()
    assert len(_rows(response)) == 1
    assert "0105 Mercantil" in html
    assert "Bs. 1.234.567,50" in html
    assert 'class="status-badge st-to-review"' in html
    today = timezone.localdate()
    r = c.get(
        reverse(CHANGELIST),
        {"created_at__year": today.year, "created_at__month": today.month},
    )
    assert len(_rows(r)) == 2


def test_change_page_queries_are_bounded(reconciler_user, make_claim, make_user, login):
    from transactions import services

    claim = make_claim(status="IN_PROGRESS")
    c = login(reconciler_user)
    url = reverse("admin:transactions_transaction_change", args=[claim.pk])
    c.get(url)
    q_few, _ = _count_queries(c, url)
    for _ in range(6):
        services.transition(claim=claim, to_status="UNKNOWN", actor=None, reason="bank down")
        services.transition(claim=claim, to_status="IN_PROGRESS", actor=None, reason="retry")
    q_many, response = _count_queries(c, url)
    assert q_many == q_few
    assert response.content.decode().count("transaction.status_changed") == 12


def test_change_page_explains_the_bank_answer(reconciler_user, make_claim, login, bank_verify):
    claim = make_claim(status="IN_PROGRESS", reference="900000000777")
    payer = {"phone": "584141234567", "source_bank_id": "0102"}
    outcome = bank_verify(
        claim,
        seed_demo=False,
        payments=[
            {"reference": "900000000777", "amount": "150.25", **payer},
            {"reference": "900000000777", "amount": "99.00", **payer},
            {
                "reference": "900000000777",
                "amount": "150.25",
                "trn_type": "DB",
                "concept": "<script>alert(1)</script>",
                **payer,
            },
        ],
    )
    assert outcome.status_after == "TO_REVIEW" and claim.status_reason_code == "DEBIT"
    html = (
        login(reconciler_user)
        .get(reverse("admin:transactions_transaction_change", args=[claim.pk]))
        .content.decode()
    )
    assert "debit movement" in html
    assert "3 candidate rows" in html
    assert "supports the claim" in html
    assert "different amount" in html and "99.00" in html
    assert "not a credit" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert "&quot;statusCode&quot;: &quot;200&quot;" in html  # the raw body, pretty-printed and escaped


def test_dashboard_counts(reconciler_user, make_claim, make_user, login, settings):
    settings.ADMIN_DASHBOARD_CACHE_SECONDS = 0
    from transactions import services

    now = timezone.now()
    make_claim(created_at=now - dt.timedelta(days=4))
    make_claim(created_at=now - dt.timedelta(days=2))
    make_claim(created_at=now - dt.timedelta(hours=1))
    make_claim(status="IN_PROGRESS")
    approved = make_claim()
    services.transition(claim=approved, to_status="COMPLETED", actor=make_user("reconciler"), reason="ok")
    response = login(reconciler_user).get(reverse("admin:index"))
    dash = response.context["dashboard"]
    assert dash.counts == {"TO_REVIEW": 3, "IN_PROGRESS": 1, "COMPLETED": 1}
    assert dash.completed_today == 1
    assert dash.oldest_age >= dt.timedelta(days=4)
    assert dt.timedelta(days=1) < dash.median_age < dt.timedelta(days=3)
    html = response.content.decode()
    assert 'data-status="TO_REVIEW">3<' in html
    assert "Circuit breaker" in html


def test_dashboard_is_cheap(reconciler_user, make_claim, login, settings):
    settings.ADMIN_DASHBOARD_CACHE_SECONDS = 0
    for _ in range(5):
        make_claim()
    c = login(reconciler_user)
    c.get(reverse("admin:index"))
    n, response = _count_queries(c, reverse("admin:index"))
    assert n <= 10, response.queries


def test_dashboard_counts_are_cached_when_configured(reconciler_user, make_claim, login, settings):
    from django.core.cache import cache

    from transactions import dashboard

    settings.ADMIN_DASHBOARD_CACHE_SECONDS = 30
    cache.delete(f"admin-dashboard:counts:{connection.settings_dict.get('NAME')}")
    make_claim()
    assert dashboard.cached_status_counts() == {"TO_REVIEW": 1}
    make_claim()
    assert dashboard.cached_status_counts() == {"TO_REVIEW": 1}  # served from the cache
    settings.ADMIN_DASHBOARD_CACHE_SECONDS = 0
    assert dashboard.cached_status_counts() == {"TO_REVIEW": 2}
    cache.delete(f"admin-dashboard:counts:{connection.settings_dict.get('NAME')}")
