"""The main list's filters as any client may spell them (issue 15): several `status` values
(repeated or comma-separated) and the inclusive creation-date range as from_date/to_date or
start_date/end_date."""

import datetime as dt

import pytest

from config.clock import CARACAS, caracas_today
from transactions import services
from transactions.models import Transaction

pytestmark = pytest.mark.django_db
URL = "/api/v1/transactions/"


@pytest.fixture
def api(auth_client, reconciler_user):
    return auth_client(reconciler_user)


def _ids(response):
    assert response.status_code == 200, response.content
    return {item["transaction_id"] for item in response.json()["items"]}


def test_status_repeated_or_comma_separated(api, make_claim, client_user):
    open_claim = make_claim()
    canceled = services.claim_cancel(claim=make_claim(), actor=client_user)
    unknown = make_claim(status="UNKNOWN")
    make_claim(status="COMPLETED")
    wanted = {open_claim.transaction_id, canceled.transaction_id, unknown.transaction_id}
    assert _ids(api.get(f"{URL}?status=IN_PROGRESS&status=CANCELED&status=UNKNOWN")) == wanted
    assert _ids(api.get(URL, {"status": "IN_PROGRESS,CANCELED,UNKNOWN"})) == wanted
    assert _ids(api.get(f"{URL}?status=IN_PROGRESS,CANCELED&status=UNKNOWN")) == wanted
    assert _ids(api.get(URL, {"status": "CANCELED"})) == {canceled.transaction_id}


@pytest.mark.parametrize("value", ["PAID", "IN_PROGRESS,PAID", ","])
def test_unknown_status_is_400(api, value):
    response = api.get(URL, {"status": value})
    if value == ",":  # nothing but separators: no filter
        assert response.status_code == 200
    else:
        assert response.status_code == 400
        assert "status" in response.json()["error"]["details"]["fields"]


@pytest.mark.parametrize(("start", "end"), [("from_date", "to_date"), ("start_date", "end_date")])
def test_date_range_is_inclusive_under_both_spellings(api, make_claim, start, end):
    day = caracas_today() - dt.timedelta(days=3)
    midnight = dt.datetime.combine(day, dt.time.min, tzinfo=CARACAS)
    inside_first, inside_last, outside = make_claim(), make_claim(), make_claim()
    Transaction.objects.filter(pk=inside_first.pk).update(created_at=midnight)
    Transaction.objects.filter(pk=inside_last.pk).update(
        created_at=midnight + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    )
    Transaction.objects.filter(pk=outside.pk).update(created_at=midnight + dt.timedelta(days=1))
    ids = _ids(api.get(URL, {start: day.isoformat(), end: day.isoformat()}))
    assert ids == {inside_first.transaction_id, inside_last.transaction_id}
