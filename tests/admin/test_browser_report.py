"""Real-browser tests (headless Chromium) of the queue's cause filter and of the dashboard charts.

Same browser fixture as tests/admin/test_browser.py. Transactional, without serialized_rollback
(the role groups are restored by the `roles` fixture; the ContentType cache is cleared on the way
out, so later tests never see a content type id of a flushed table).
"""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management.sql import emit_post_migrate_signal
from django.urls import reverse

from tests.admin import test_browser as browser
from tests.admin.payments import matching_payment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("roles")]

driver = browser.driver  # the headless Chromium fixture


@pytest.fixture(autouse=True)
def _fresh_content_types(db):
    """Content types and permissions as migrate leaves them (a serialized-rollback flush by an
    earlier browser test leaves none behind), then the role groups (`roles`)."""
    ContentType.objects.clear_cache()
    emit_post_migrate_signal(0, False, "default")
    yield
    ContentType.objects.clear_cache()


def _login_in_spanish(driver, live_server, email):
    browser._login(driver, live_server, email)
    # Headless Chromium asks for English whatever --lang says: choose Spanish, the product's language.
    driver.add_cookie({"name": "django_language", "value": "es", "path": "/"})


def test_the_cause_filter_narrows_the_queue_and_shows_age(
    driver, live_server, make_user, make_claim, bank_verify
):
    from django.utils import timezone
    from selenium.webdriver.common.by import By

    reconciler = make_user("reconciler", is_staff=True)
    now = timezone.now()
    amount = make_claim(status="IN_PROGRESS", created_at=now - dt.timedelta(hours=5))
    bank_verify(amount, seed_demo=False, payments=[matching_payment(amount, amount="1.00")])
    debit = make_claim(status="IN_PROGRESS", created_at=now - dt.timedelta(hours=6))
    bank_verify(debit, seed_demo=False, payments=[matching_payment(debit, trn_type="DB")])
    assert (amount.status_reason_code, debit.status_reason_code) == ("AMOUNT_MISMATCH", "DEBIT")

    _login_in_spanish(driver, live_server, reconciler.email)
    driver.get(
        live_server.url + reverse("admin:transactions_transaction_changelist") + "?status__exact=TO_REVIEW"
    )
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 15).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")) >= 2
    )
    rows = driver.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    # Oldest in review first: `amount` was verified (entered review) before `debit`.
    assert [amount.transaction_id in rows[0].text, debit.transaction_id in rows[1].text] == [True, True]
    headers = driver.find_element(By.CSS_SELECTOR, "#result_list thead").text.lower()
    assert "causa" in headers and "en revisión desde hace" in headers

    driver.find_element(By.ID, "changelist-filter").find_element(By.LINK_TEXT, "Movimiento de débito").click()
    rows = driver.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 1 and debit.transaction_id in rows[0].text
    assert "Movimiento de débito" in rows[0].text
    assert "cause=DEBIT" in driver.current_url
    assert driver.find_element(By.CSS_SELECTOR, "#result_list tbody tr .review-age").text  # e.g. "1 minuto"


def _seed_two_weeks(make_user, bank_verify):
    """Fourteen past days of claims through the real services, at chosen times (tests/clock.py):
    some verified at once, some reviewed and approved or rejected hours later, some left in review,
    some withdrawn. Returns the expected (day, created, completed at the end of the day)."""
    from config.clock import CARACAS, caracas_today
    from tests.clock import FakeClock
    from tests.transactions.conftest import flat_data
    from transactions import services

    client = make_user("client")
    reconciler = make_user("reconciler", is_staff=True, email="rita@example.test")
    clock = FakeClock()
    expected = []
    today = caracas_today()
    try:
        for back in range(14, 0, -1):
            day = today - dt.timedelta(days=back)
            completed = 0
            n = 2 + (back * 3) % 5
            for j in range(n):
                clock.set(dt.datetime.combine(day, dt.time(8 + j), tzinfo=CARACAS))
                claim, _ = services.create_claim(data=flat_data(amount=f"{100 + 10 * j}.00"), actor=client)
                kind = (back + j) % 4
                if kind == 3:
                    clock.advance(minutes=15)
                    services.claim_cancel(claim=claim, actor=client)
                    continue
                clock.advance(minutes=5)
                paid = str(claim.amount) if kind == 0 else "1.00"
                bank_verify(claim, seed_demo=False, payments=[matching_payment(claim, amount=paid)])
                if kind == 0:
                    completed += 1
                elif kind == 1:
                    clock.advance(hours=1 + back % 3)
                    services.claim_approve(claim=claim, actor=reconciler, reason="Checked the statement")
                    completed += 1
            expected.append((day, n, completed))
    finally:
        clock.stop()
    return expected


def test_the_dashboard_draws_the_last_30_days_as_inline_svg(driver, live_server, make_user, bank_verify):
    from django.core.cache import cache
    from selenium.webdriver.common.by import By

    expected = _seed_two_weeks(make_user, bank_verify)
    cache.clear()  # the charts' figures of past days are cached
    reconciler = make_user("reconciler", is_staff=True)
    _login_in_spanish(driver, live_server, reconciler.email)
    driver.get(live_server.url + reverse("admin:index"))

    charts = driver.find_element(By.ID, "dashboard-charts")
    text = charts.text.lower()  # the card titles are upper-cased by CSS
    assert "reclamos por día y estado" in text and "cola de revisión" in text
    assert driver.find_elements(By.CSS_SELECTOR, "script[src*='chart'], link[href*='cdn']") == []
    for chart_id in ("chart-claims", "chart-queue", "chart-time"):
        svg = driver.find_element(By.ID, chart_id)
        assert svg.tag_name == "svg" and svg.size["width"] > 300 and svg.size["height"] > 80
    for day, created, completed in expected:
        bars = driver.find_elements(By.CSS_SELECTOR, f"#chart-claims rect.bar[data-day='{day.isoformat()}']")
        assert sum(int(b.get_attribute("data-count")) for b in bars) == created
        done = [b for b in bars if b.get_attribute("data-status") == "COMPLETED"]
        assert sum(int(b.get_attribute("data-count")) for b in done) == completed
        assert all(b.size["height"] > 0 for b in bars)
    queue = driver.find_elements(By.CSS_SELECTOR, "#chart-queue rect.bar")
    assert len(queue) == 30 and max(int(b.get_attribute("data-count")) for b in queue) > 0
    assert driver.find_elements(By.CSS_SELECTOR, "#chart-time circle.point[data-series='median']")

    driver.execute_script("document.getElementById('dashboard-charts').scrollIntoView()")
    browser._shot(driver, "dashboard-charts.png")

    driver.find_element(By.ID, "daily-report-link").click()
    assert driver.find_element(By.ID, "daily-report")
    assert "Informe diario" in driver.title
