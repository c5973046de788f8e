"""Real-browser tests of the reconciler workbench on a claim's page (headless Chromium, Spanish UI).

The live server's searches go through the production client to the in-process Banesco sandbox
(`banking.sandbox.state.default_state`): no bank answer is written by hand. Transactional tests
without serialized rollback: the content types (cached by audit) and role groups are rebuilt
before each test and the ContentType cache is cleared after, so later transactional tests never
see stale content type ids. Screenshots: docs/screenshots/workbench-claim.png, workbench-search.png.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management.sql import emit_post_migrate_signal
from django.urls import reverse

from tests.admin import test_browser

driver = test_browser.driver  # the headless Chromium fixture, reused
_login_en, _messages, _shot = test_browser._login, test_browser._messages, test_browser._shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("roles"),
]

PAY_DAY = dt.date(2025, 3, 10)
WRONG_PHONE, RIGHT_PHONE = "04141234567", "04241112233"


@pytest.fixture(autouse=True)
def _fresh_content_types():
    ContentType.objects.clear_cache()
    emit_post_migrate_signal(0, False, "default")  # a serialized-rollback flush leaves none behind
    yield
    ContentType.objects.clear_cache()


def _login(driver, live_server, email):
    """Log in, then ask for Spanish (the product's language) with Django's language cookie."""
    from django.conf import settings

    _login_en(driver, live_server, email)
    driver.add_cookie({"name": settings.LANGUAGE_COOKIE_NAME, "value": "es", "path": "/"})


def _switch_user(driver, user):
    """Continue in the same browser as another reconciler (a session made by Django's test client)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    driver.delete_all_cookies()
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    driver.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": session, "path": "/"})
    driver.add_cookie({"name": settings.LANGUAGE_COOKIE_NAME, "value": "es", "path": "/"})


def _submit(driver, element):
    """Click a submit button and wait until the next page replaced this one."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    element.click()
    WebDriverWait(driver, 20).until(expected_conditions.staleness_of(element))


@pytest.fixture
def sandbox():
    from banking.sandbox.state import default_state

    state = default_state()
    state.reset(seed_demo=False)
    yield state
    state.reset()


def _claim(make_claim, **extra):
    fields = {
        "status_reason": "The bank did not find the payment within the verification window.",
        "status_reason_code": "NOT_FOUND_WINDOW",
        "amount": Decimal("150.25"),
        "payment_date": PAY_DAY,
        "payer_bank_code": "0105",
        "customer_phone": WRONG_PHONE,
    }
    fields.update(extra)
    return make_claim(**fields)


def _open(driver, live_server, claim):
    from selenium.webdriver.common.by import By

    driver.get(live_server.url + reverse("admin:transactions_transaction_change", args=[claim.pk]))
    driver.find_element(By.ID, "content-main")


def _search(driver, *, phone=None):
    from selenium.webdriver.common.by import By

    panel = driver.find_element(By.ID, "workbench-search")
    if panel.get_attribute("open") is None:
        panel.find_element(By.TAG_NAME, "summary").click()
    if phone is not None:
        field = driver.find_element(By.ID, "id_phone")
        field.clear()
        field.send_keys(phone)
    _submit(driver, driver.find_element(By.ID, "wb-search-submit"))


def test_claim_page_shows_claim_and_bank_side_by_side(driver, live_server, make_user, claim_amount_differs):
    from selenium.webdriver.common.by import By

    reconciler = make_user("reconciler", is_staff=True, full_name="Rita Reconciliadora")
    claim = claim_amount_differs(concept="Consulta cardiología", payment={"concept": "Pago consulta"})
    _login(driver, live_server, reconciler.email)
    _open(driver, live_server, claim)
    table = driver.find_element(By.ID, "wb-side-by-side")
    differs = [td.text for td in table.find_elements(By.CSS_SELECTOR, "td.wb-differs")]
    assert any("150.00" in text for text in differs), differs
    assert "monto" in driver.find_element(By.ID, "wb-evidence").text.lower()  # reason in plain words
    lookups = driver.find_element(By.ID, "wb-lookups").text.lower()
    assert "automática" in lookups
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", table)
    _shot(driver, "workbench-claim.png")


def test_search_with_corrected_phone_and_approve_with_this_row(
    driver, live_server, make_user, make_claim, sandbox
):
    from selenium.webdriver.common.by import By

    from audit.models import AuditEvent
    from banking.models import BankLookup
    from transactions.models import Transaction

    reconciler = make_user("reconciler", is_staff=True)
    claim = _claim(make_claim)
    sandbox.add_payment(
        reference=claim.reference,
        amount="150.25",
        trn_date=PAY_DAY,
        phone="584241112233",
        source_bank_id="0105",
    )
    _login(driver, live_server, reconciler.email)
    _open(driver, live_server, claim)
    _search(driver)  # as the customer typed it: nothing
    assert driver.find_element(By.ID, "wb-no-rows")
    _search(driver, phone=RIGHT_PHONE)
    result = driver.find_element(By.CSS_SELECTOR, f".wb-result[data-reference='{claim.reference}']")
    assert "wb-result-match" in result.get_attribute("class")
    assert sandbox.requests()[-1]["phoneNum"] == "584241112233"
    assert driver.find_element(By.ID, "id_phone").get_attribute("value") == RIGHT_PHONE  # what was asked
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", result)
    _shot(driver, "workbench-search.png")

    result.find_element(By.TAG_NAME, "textarea").send_keys("El cliente escribió mal el teléfono")
    _submit(driver, result.find_element(By.CSS_SELECTOR, "button.wb-approve-row"))
    msgs = _messages(driver)
    assert any(claim.transaction_id.lower() in m for m in msgs), msgs
    claim = Transaction.objects.get(pk=claim.pk)
    assert claim.status == "COMPLETED"
    lookup = BankLookup.objects.get(pk=claim.decided_lookup_id)
    assert lookup.requested_by == reconciler and lookup.claim_id == claim.pk
    event = AuditEvent.objects.for_target(claim).filter(action="transaction.status_changed").get()
    assert event.metadata["approved_with_row"]["reference_number"] == claim.reference
    assert event.metadata["search"]["phone"] == "58424***2233"
    assert event.reason == "El cliente escribió mal el teléfono"
    assert "El cliente escribió mal el teléfono" in driver.find_element(By.TAG_NAME, "body").text


def test_lookup_limit_message(driver, live_server, make_user, make_claim, sandbox):
    from selenium.webdriver.common.by import By

    from banking.models import BankLookup

    reconciler = make_user("reconciler", is_staff=True)
    claim = _claim(make_claim)
    _login(driver, live_server, reconciler.email)
    _open(driver, live_server, claim)
    _search(driver)
    _search(driver)
    asked = sandbox.lookup_requests
    _search(driver)
    msgs = _messages(driver)
    assert any("límite de consultas" in m for m in msgs), msgs
    assert sandbox.lookup_requests == asked
    assert BankLookup.objects.filter(claim_id=claim.pk).count() == 2
    assert driver.find_element(By.ID, "wb-search-form")


def test_take_next_claim_and_warning_on_someone_elses_claim(driver, live_server, make_user, make_claim):
    from django.utils import timezone
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    from transactions.models import Transaction

    rita = make_user("reconciler", is_staff=True)
    luis = make_user("reconciler", is_staff=True)
    now = timezone.now()
    oldest = make_claim(created_at=now - dt.timedelta(days=2))
    newer = make_claim(created_at=now - dt.timedelta(days=1))

    _login(driver, live_server, rita.email)
    _open(driver, live_server, oldest)
    _submit(driver, driver.find_element(By.ID, "wb-take"))
    assert "wb-held-me" in driver.find_element(By.ID, "wb-assignment").get_attribute("class")
    assert Transaction.objects.get(pk=oldest.pk).assigned_to == rita

    _switch_user(driver, luis)
    driver.get(
        live_server.url + reverse("admin:transactions_transaction_changelist") + "?status__exact=TO_REVIEW"
    )
    assert rita.email in driver.find_element(By.ID, "result_list").text  # the assignee column
    _submit(driver, driver.find_element(By.ID, "wb-next"))  # the oldest is Rita's: Luis gets the next one
    assert driver.current_url.endswith(reverse("admin:transactions_transaction_change", args=[newer.pk]))
    assert Transaction.objects.get(pk=newer.pk).assigned_to == luis

    _open(driver, live_server, oldest)
    warning = driver.find_element(By.ID, "wb-assignment-text").text
    assert rita.email in warning
    driver.find_element(By.ID, "decide-approve").click()
    assert rita.email in driver.find_element(By.ID, "decision-claims").text
    driver.find_element(By.NAME, "reason").send_keys("Pago visto en el estado de cuenta")
    button = driver.find_element(By.ID, "confirm-decision")
    button.click()
    WebDriverWait(driver, 15).until(expected_conditions.staleness_of(button))
    assert Transaction.objects.get(pk=oldest.pk).status == "TO_REVIEW"  # not confirmed: skipped
    assert any("omitido" in m for m in _messages(driver)), _messages(driver)
    driver.find_element(By.ID, "decide-approve").click()
    driver.find_element(By.NAME, "reason").send_keys("Pago visto en el estado de cuenta")
    driver.find_element(By.ID, "id_confirm_takeover").click()
    button = driver.find_element(By.ID, "confirm-decision")
    button.click()
    WebDriverWait(driver, 15).until(expected_conditions.staleness_of(button))  # the claim's page again
    driver.find_element(By.ID, "workbench")
    msgs = _messages(driver)
    assert any(oldest.transaction_id.lower() in m for m in msgs), msgs
    assert Transaction.objects.get(pk=oldest.pk).status == "COMPLETED"


def test_a_note_appears_in_the_timeline(driver, live_server, make_user, make_claim):
    from selenium.webdriver.common.by import By

    reconciler = make_user("reconciler", is_staff=True)
    claim = make_claim()
    _login(driver, live_server, reconciler.email)
    _open(driver, live_server, claim)
    driver.find_element(By.CSS_SELECTOR, "#workbench-note summary").click()
    driver.find_element(By.ID, "id_text").send_keys("Llamé a la clienta: pagó desde otro teléfono")
    _submit(driver, driver.find_element(By.ID, "wb-note-submit"))
    row = driver.find_element(By.CSS_SELECTOR, "table.audit-events tr.ev-transaction-commented")
    assert "Llamé a la clienta: pagó desde otro teléfono" in row.text
    assert reconciler.email in row.text
