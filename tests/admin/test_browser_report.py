"""Real-browser tests (headless Chromium) of the queue's cause filter and of the dashboard charts.

Same browser fixture as tests/admin/test_browser.py. Transactional, without serialized_rollback
(the role groups are restored by the `roles` fixture; the ContentType cache is cleared on the way
out, so later tests never see a content type id of a flushed table).
"""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from tests.admin import test_browser as browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

driver = browser.driver  # the headless Chromium fixture


@pytest.fixture(autouse=True)
def _fresh_content_types(roles):
    ContentType.objects.clear_cache()
    yield
    ContentType.objects.clear_cache()


def _login_in_spanish(driver, live_server, email):
    browser._login(driver, live_server, email)
    # Headless Chromium asks for English whatever --lang says: choose Spanish, the product's language.
    driver.add_cookie({"name": "django_language", "value": "es", "path": "/"})


def _payment(claim, **extra):
    return {
        "reference": claim.reference,
        "amount": str(claim.amount),
        "phone": "58" + claim.customer_phone[1:],
        "source_bank_id": claim.payer_bank_code,
        **extra,
    }


def test_the_cause_filter_narrows_the_queue_and_shows_age(
    driver, live_server, make_user, make_claim, bank_verify
):
    from django.utils import timezone
    from selenium.webdriver.common.by import By

    reconciler = make_user("reconciler", is_staff=True)
    now = timezone.now()
    amount = make_claim(status="IN_PROGRESS", created_at=now - dt.timedelta(hours=5))
    bank_verify(amount, seed_demo=False, payments=[_payment(amount, amount="1.00")])
    debit = make_claim(status="IN_PROGRESS", created_at=now - dt.timedelta(hours=6))
    bank_verify(debit, seed_demo=False, payments=[_payment(debit, trn_type="DB")])
    assert (amount.status_reason_code, debit.status_reason_code) == ("AMOUNT_MISMATCH", "DEBIT")

    _login_in_spanish(driver, live_server, reconciler.email)
    driver.get(
        live_server.url + reverse("admin:transactions_transaction_changelist") + "?status__exact=TO_REVIEW"
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
