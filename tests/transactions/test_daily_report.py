"""The daily report's figures on a seeded set made by the real services (create, verify through
the in-process sandbox, decide), at chosen times (tests/clock.py). The expected answers are
worked out by hand below, from the story of the day."""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.roles import MANAGER
from config.clock import CARACAS
from tests.clock import FakeClock
from tests.transactions.conftest import flat_data
from transactions import deletion, services
from transactions.reports import charts, series
from transactions.reports.daily import daily_report, day_bounds, decision_seconds, percentile, queue_sizes

DAY = dt.date(2026, 11, 20)


def at(day_offset, hour, minute=0):
    """A Caracas wall-clock time on DAY + day_offset."""
    return dt.datetime.combine(DAY + dt.timedelta(days=day_offset), dt.time(hour, minute), tzinfo=CARACAS)


@pytest.fixture
def clock():
    c = FakeClock()
    yield c
    c.stop()


@pytest.fixture
def story(clock, client_user, make_user, bank_verify):
    """The day of 2026-11-20 (Caracas), claim by claim:

    P  created 19th 20:00 (= 20th 00:00 UTC), amount differs -> TO_REVIEW; approved by tomas 20th 15:00
    A  08:00 100.00, verified 08:05 -> COMPLETED (automatic, 300 s)
    B  09:00 200.00, amount differs 09:10 -> TO_REVIEW; approved by rita 11:10 (7 800 s)
    C  10:00 300.00, debit 10:01 -> TO_REVIEW, still there at midnight; soft-deleted 21st 11:00
    E  12:00 400.00, amount differs 12:30 -> TO_REVIEW; rejected by rita 13:30 (5 400 s)
    F  14:00  50.00, withdrawn by its client 14:20 (1 200 s)
    H  16:00  80.00, amount differs 16:02 -> TO_REVIEW at midnight; rejected by rita 21st 10:00
    G  22:00  70.00 (= 21st 02:00 UTC), not looked up before midnight; COMPLETED 21st 01:00
    I  created 21st 09:00, amount differs 09:01 -> TO_REVIEW (after the day)
    """
    rita = make_user("reconciler", email="rita@example.test", is_staff=True)
    tomas = make_user("reconciler", email="tomas@example.test", is_staff=True)
    manager = make_user(MANAGER, email="manager@example.test")
    claims = {}

    def create(name, moment, amount):
        clock.set(moment)
        claims[name], created = services.create_claim(data=flat_data(amount=amount), actor=client_user)
        assert created

    def verify(name, moment, *, paid=None, **payment):
        clock.set(moment)
        claim = claims[name]
        bank_verify(
            claim,
            seed_demo=False,
            payments=[
                {
                    "reference": claim.reference,
                    "amount": paid or str(claim.amount),
                    "phone": "58" + claim.customer_phone[1:],
                    "source_bank_id": claim.payer_bank_code,
                    **payment,
                }
            ],
        )
        return claim.status

    def decide(fn, name, moment, who, reason="checked"):
        clock.set(moment)
        fn(claim=claims[name], actor=who, reason=reason)

    create("P", at(-1, 20), "10.00")
    assert verify("P", at(-1, 20, 1), paid="11.00") == "TO_REVIEW"
    create("A", at(0, 8), "100.00")
    assert verify("A", at(0, 8, 5)) == "COMPLETED"
    create("B", at(0, 9), "200.00")
    assert verify("B", at(0, 9, 10), paid="210.00") == "TO_REVIEW"
    create("C", at(0, 10), "300.00")
    assert verify("C", at(0, 10, 1), trn_type="DB") == "TO_REVIEW"
    decide(services.claim_approve, "B", at(0, 11, 10), rita, "Paid 210, invoice adjusted")
    create("E", at(0, 12), "400.00")
    assert verify("E", at(0, 12, 30), paid="4.00") == "TO_REVIEW"
    decide(services.claim_reject, "E", at(0, 13, 30), rita, "Not our payment")
    create("F", at(0, 14), "50.00")
    clock.set(at(0, 14, 20))
    services.claim_cancel(claim=claims["F"], actor=client_user)
    decide(services.claim_approve, "P", at(0, 15), tomas)
    create("H", at(0, 16), "80.00")
    assert verify("H", at(0, 16, 2), paid="8.00") == "TO_REVIEW"
    create("G", at(0, 22), "70.00")
    # the next day
    assert verify("G", at(1, 1)) == "COMPLETED"
    create("I", at(1, 9), "90.00")
    assert verify("I", at(1, 9, 1), paid="9.00") == "TO_REVIEW"
    decide(services.claim_reject, "H", at(1, 10), rita)
    clock.set(at(1, 11))
    deletion.claim_soft_delete(claim_id=claims["C"].pk, actor=manager)
    clock.set(at(1, 12))  # "now" when the report is read
    return claims


def _hours(h, m=0):
    return h * 3600 + m * 60


@pytest.mark.django_db
def test_the_days_figures_match_the_hand_count(story, client_user):
    report = daily_report(DAY)
    by_status = {s.status: (s.count, s.amount) for s in report.statuses}
    # Created on the 20th (Caracas): A B C E F H G; P belongs to the 19th although its UTC date is
    # the 20th, G to the 20th although its UTC date is the 21st. Status at midnight, not now.
    assert by_status == {
        "COMPLETED": (2, Decimal("300.00")),  # A, B (G completed only on the 21st)
        "CANCELED": (2, Decimal("450.00")),  # E, F
        "TO_REVIEW": (2, Decimal("380.00")),  # C, H (C deleted and H rejected later)
        "IN_PROGRESS": (1, Decimal("70.00")),  # G
        "UNKNOWN": (0, Decimal("0.00")),
    }
    assert (report.created, report.created_amount) == (7, Decimal("1200.00"))
    # Final decisions on the 20th: A (bank) ; B, E, P (reconcilers), F (its client).
    assert (report.automatic, report.manual) == (1, 4)
    # Claim to final status: A 5 min, F 20 min, E 1 h 30, B 2 h 10, P 19 h.
    durations = [300, 1200, _hours(1, 30), _hours(2, 10), _hours(19)]
    assert report.median_seconds == _hours(1, 30)
    # p90 by linear interpolation: rank (5 - 1) * 0.9 = 3.6 -> 2h10 + 0.6 * (19h - 2h10)
    assert report.p90_seconds == pytest.approx(_hours(2, 10) + 0.6 * (_hours(19) - _hours(2, 10)))
    assert report.p90_seconds == pytest.approx(percentile(durations, 0.9))
    # The portable path (databases without percentile_cont) counts the same durations.
    assert sorted(decision_seconds(*day_bounds(DAY))) == durations
    people = [(p.label, p.approved, p.rejected) for p in report.people]
    assert people == [
        ("rita@example.test", 1, 1),
        (client_user.email, 0, 1),
        ("tomas@example.test", 1, 0),
    ]
    # In review at midnight: C and H (P and B approved, E rejected during the day). Now only I is
    # (C deleted, H rejected on the 21st): the figure comes from the trail, not the current status.
    assert report.queue_end == 2
    assert queue_sizes([DAY - dt.timedelta(days=1), DAY, DAY + dt.timedelta(days=1)]) == {
        DAY - dt.timedelta(days=1): 1,  # P
        DAY: 2,
        DAY + dt.timedelta(days=1): 1,  # the day is not over: the queue now (I)
    }


@pytest.mark.django_db
def test_an_empty_day_has_zeros_and_no_times(story):
    report = daily_report(DAY - dt.timedelta(days=5))
    assert report.created == 0 and report.decisions == 0 and report.people == []
    assert report.median_seconds is None and report.p90_seconds is None
    assert report.queue_end == 0


@pytest.mark.django_db
def test_the_command_writes_json_csv_and_a_table(story, client_user):
    out = StringIO()
    call_command("daily_report", "--date", DAY.isoformat(), "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["date"] == "2026-11-20" and data["timezone"] == "America/Caracas"
    assert data["claims"]["total"] == 7 and data["claims"]["amount_ves"] == "1200.00"
    assert {"status": "TO_REVIEW", "count": 2, "amount_ves": "380.00"} in data["claims"]["by_status"]
    assert data["decisions"] == {"total": 5, "automatic": 1, "manual": 4}
    assert data["time_to_final_status_seconds"]["median"] == 5400.0
    assert data["time_to_final_status_seconds"]["p90"] == 44160.0
    assert data["decisions_per_person"][0] == {
        "person": "rita@example.test",
        "approved": 1,
        "rejected": 1,
        "total": 2,
    }
    assert data["queue_end_of_day"] == 2

    out = StringIO()
    call_command("daily_report", "--date", DAY.isoformat(), "--format", "csv", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "date,metric,key,value"
    assert "2026-11-20,claims,COMPLETED,2" in lines
    assert "2026-11-20,amount_ves,CANCELED,450.00" in lines
    assert "2026-11-20,decisions,automatic,1" in lines and "2026-11-20,decisions,manual,4" in lines
    assert "2026-11-20,time_to_final_status_seconds,median,5400.0" in lines
    assert "2026-11-20,approved_by,tomas@example.test,1" in lines
    assert f"2026-11-20,rejected_by,{client_user.email},1" in lines
    assert lines[-1] == "2026-11-20,queue_end_of_day,TO_REVIEW,2"

    out = StringIO()
    call_command("daily_report", "--date", DAY.isoformat(), stdout=out)
    table = out.getvalue()
    assert "Daily report 2026-11-20 (America/Caracas)" in table
    assert "TO_REVIEW" in table and "380.00" in table and "1200.00" in table
    assert "median 1h 30m 00s, p90 12h 16m 00s" in table
    assert "at the end of the day: 2" in table

    with pytest.raises(CommandError):
        call_command("daily_report", "--date", "20-11-2026", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("daily_report", "--date", "2026-11-23", stdout=StringIO())  # after "now"


@pytest.mark.django_db
def test_the_charts_draw_the_last_days_from_the_report(story, settings):
    from django.core.cache import cache

    cache.clear()
    days = series.last_days(3, today=DAY + dt.timedelta(days=1))
    assert [r.day for r in days] == [DAY - dt.timedelta(days=1), DAY, DAY + dt.timedelta(days=1)]
    assert [r.queue_end for r in days] == [1, 2, 1]
    claims_svg, queue_svg, time_svg = (str(c) for c in charts.dashboard_charts(days))
    assert claims_svg.startswith('<svg id="chart-claims"') and "<script" not in claims_svg
    assert 'data-day="2026-11-20" data-status="COMPLETED" data-count="2"' in claims_svg
    assert 'data-day="2026-11-20" data-status="IN_PROGRESS" data-count="1"' in claims_svg
    assert 'data-day="2026-11-20" data-count="2"' in queue_svg
    assert 'data-series="median" data-day="2026-11-20"' in time_svg and "<title>2026-11-20: 1.5 h" in time_svg
    # Past days come from the cache afterwards (figures of a past day never change).
    assert cache.get(series._key(DAY)).queue_end == 2
    cache.clear()


@pytest.mark.django_db
def test_the_admin_page_shows_the_day_and_offers_the_downloads(story, make_user, client_user):
    from django.test import Client
    from django.urls import reverse

    url = reverse("admin:daily_report")
    reconciler = make_user("reconciler", is_staff=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    client.force_login(reconciler)
    response = client.get(f"{url}?date=2026-11-20")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Informe diario" in html
    assert 'id="report-total">7<' in html and 'id="report-total-amount">Bs. 1.200,00<' in html
    assert 'id="report-automatic">1<' in html and 'id="report-manual">4<' in html
    assert 'id="report-median">1h 30m 00s<' in html and 'id="report-queue">2<' in html
    assert "rita@example.test" in html and "tomas@example.test" in html
    csv = client.get(f"{url}?date=2026-11-20&format=csv")
    assert csv["Content-Type"] == "text/csv"
    assert 'filename="daily-report-2026-11-20.csv"' in csv["Content-Disposition"]
    out = StringIO()
    call_command("daily_report", "--date", "2026-11-20", "--format", "csv", stdout=out)
    assert csv.content.decode() == out.getvalue()
    assert json.loads(client.get(f"{url}?date=2026-11-20&format=json").content)["queue_end_of_day"] == 2
    assert "Fecha inválida" in client.get(f"{url}?date=ayer").content.decode()

    # The dashboard links to it and draws the charts.
    index = client.get(reverse("admin:index")).content.decode()
    assert 'id="chart-claims"' in index and 'id="chart-queue"' in index and 'id="chart-time"' in index
    assert f'href="{url}"' in index

    outsider = Client()
    outsider.force_login(client_user)  # not staff: the admin sends it to its login page
    assert outsider.get(url).status_code == 302
