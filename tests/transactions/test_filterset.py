"""TransactionFilter's memoised form class and subset validation form must behave exactly like
django-filter's own code."""

import threading

import django_filters
import pytest
from django.http import QueryDict
from django.utils import translation

from transactions.api.filters import TransactionFilter
from transactions.models import Transaction

pytestmark = pytest.mark.django_db


class UpstreamTransactionFilter(TransactionFilter):
    """The same filters with django-filter's per-request form class and full-form validation."""

    get_form_class = django_filters.FilterSet.get_form_class
    is_valid = django_filters.FilterSet.is_valid
    errors = django_filters.FilterSet.errors
    filter_queryset = django_filters.FilterSet.filter_queryset


QUERIES = [
    "",
    "status=TO_REVIEW&from_date=2026-01-01&to_date=2026-01-31",
    "bank=MOBILE_TRANSFER&transaction_type=TRANSACTION&reference=123456",
    "phone=%2B58+414-1234567&national_id=v-12.345.678",
    "payment_date_from=2026-01-01&payment_date_to=2026-02-01&amount_min=10.50&amount_max=99",
    "search=Mar%C3%ADa&ordering=-amount",
    "search=00123&ordering=payment_date",
    "to_date=9999-12-31",
    "status=&bank=&search=&ordering=",  # present but empty
    "unknown=1&size=20&page=3&status=COMPLETED",  # parameters that are not filters
    # invalid input: the same form errors
    "status=NOPE&from_date=2026-13-01&amount_min=abc&phone=123&ordering=password",
]


def _outcome(filterset_class, query):
    fs = filterset_class(QueryDict(query), queryset=Transaction.objects.alive())
    if not fs.is_valid():
        return "errors", {k: [str(m) for m in v] for k, v in fs.errors.items()}
    return "sql", str(fs.qs.query)


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("query", QUERIES)
def test_same_sql_and_same_errors_as_django_filter(query, language):
    with translation.override(language):
        assert _outcome(TransactionFilter, query) == _outcome(UpstreamTransactionFilter, query)


def test_error_messages_follow_the_active_language():
    with translation.override("en"):
        english = _outcome(TransactionFilter, "status=NOPE")[1]["status"][0]
    with translation.override("es"):
        spanish = _outcome(TransactionFilter, "status=NOPE")[1]["status"][0]
    assert english != spanish and "NOPE" in english and "NOPE" in spanish


def test_filters_are_per_instance_and_the_class_filters_stay_untouched():
    a = TransactionFilter(QueryDict("from_date=2026-01-01"), queryset=Transaction.objects.alive())
    b = TransactionFilter(QueryDict("from_date=2026-02-01"), queryset=Transaction.objects.alive())
    assert a.filters["from_date"] is not b.filters["from_date"]
    assert a.filters["from_date"].parent is a and b.filters["from_date"].parent is b
    assert "2026-01-01" in str(a.qs.query) and "2026-02-01" in str(b.qs.query)
    for base in TransactionFilter.base_filters.values():
        assert getattr(base, "parent", None) is None  # requests never write to the class's filters


def test_concurrent_filtersets_do_not_share_state():
    results, errors = {}, []

    def run(day):
        try:
            for _ in range(50):
                data = QueryDict(f"from_date=2026-01-{day:02d}")
                fs = TransactionFilter(data, queryset=Transaction.objects.all())
                assert fs.is_valid()
                assert f"2026-01-{day:02d}" in str(fs.qs.query)
            results[day] = True
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(day,)) for day in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 8


def test_the_full_form_is_still_there_for_rendering():
    fs = TransactionFilter(QueryDict("status=TO_REVIEW"), queryset=Transaction.objects.alive())
    assert fs.is_valid()
    assert set(fs.validation_form.fields) == {"status"}
    assert set(fs.form.fields) == set(TransactionFilter.base_filters)


def test_the_validation_form_memo_is_bounded():
    import itertools

    names = list(TransactionFilter.base_filters)[:10]
    for r in range(1, 4):
        for combo in itertools.islice(itertools.combinations(names, r), 200):
            TransactionFilter(
                QueryDict("&".join(f"{n}=" for n in combo)), queryset=Transaction.objects.all()
            ).is_valid()
    assert (
        0 < len(TransactionFilter._validation_form_classes) <= TransactionFilter.VALIDATION_FORM_CLASSES_MAX
    )
