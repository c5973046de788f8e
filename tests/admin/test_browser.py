"""Real-browser tests of the reconcilers' queue (headless Chromium via Selenium).

Skipped with a clear reason when Chromium/chromedriver are missing locally; with CI=true a missing
browser is a failure (CI must not silently skip). Screenshots go to docs/screenshots/.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} not found (run scripts/ensure-browser.sh)"
    return None


@pytest.fixture
def driver():
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Browser tests cannot run in CI: {missing}")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="am-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--disable-component-update",
        "--no-first-run",
        "--window-size=1400,1000",
        "--lang=es",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.implicitly_wait(5)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _login(driver, live_server, email, password=PASSWORD):
    from selenium.webdriver.common.by import By

    driver.get(live_server.url + reverse("admin:login"))
    driver.find_element(By.NAME, "username").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    driver.find_element(By.ID, "user-tools")  # logged in


def _messages(driver):
    """Message texts, lower-cased (the admin CSS capitalises their first letter)."""
    from selenium.webdriver.common.by import By

    return [li.text.lower() for li in driver.find_elements(By.CSS_SELECTOR, "ul.messagelist li")]


def _absent(driver, by, selector) -> bool:
    """True when nothing matches (checked without the implicit wait)."""
    driver.implicitly_wait(0)
    try:
        return driver.find_elements(by, selector) == []
    finally:
        driver.implicitly_wait(5)


def _shot(driver, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / name))


def test_reconciler_works_the_queue(driver, live_server, make_user, make_claim, claim_amount_differs):
    import datetime as dt

    from django.utils import timezone
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from transactions.models import Transaction

    reconciler = make_user("reconciler", is_staff=True, full_name="Rita Reconciliadora")
    now = timezone.now()
    first = claim_amount_differs(created_at=now - dt.timedelta(days=2), customer_full_name="Ana Pérez")
    second = make_claim(created_at=now - dt.timedelta(days=1), customer_full_name="Luis Gómez")
    third = make_claim(created_at=now - dt.timedelta(hours=3), customer_full_name="Carla Díaz")
    make_claim(status="COMPLETED")
    make_claim(status="IN_PROGRESS")

    _login(driver, live_server, reconciler.email)
    assert driver.find_element(By.ID, "dashboard")
    _shot(driver, "dashboard.png")

    driver.find_element(By.ID, "review-queue-link").click()
    rows = driver.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 3
    assert first.transaction_id in rows[0].text  # oldest first
    _shot(driver, "queue.png")

    # Approve the oldest from its page, with a reason.
    driver.find_element(By.LINK_TEXT, first.transaction_id).click()
    assert "Amount differs" in driver.find_element(By.TAG_NAME, "body").text
    driver.find_element(By.ID, "decide-approve").click()
    driver.find_element(By.ID, "decision-form")
    driver.find_element(By.NAME, "reason").send_keys("Bank statement shows the full amount")
    _shot(driver, "decision-form.png")
    driver.find_element(By.ID, "confirm-decision").click()
    msgs = _messages(driver)
    assert any(m.startswith(f"{first.transaction_id}: done") for m in msgs), msgs
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "Bank statement shows the full amount" in body  # the new event in the history
    assert "TO_REVIEW → COMPLETED" in body

    # Reject the other two in bulk from the queue.
    driver.get(
        live_server.url + reverse("admin:transactions_transaction_changelist") + "?status__exact=TO_REVIEW"
    )
    for claim in (second, third):
        driver.find_element(By.CSS_SELECTOR, f"input.action-select[value='{claim.pk}']").click()
    Select(driver.find_element(By.NAME, "action")).select_by_value("reject_selected")
    driver.find_element(By.CSS_SELECTOR, "button[name='index'], input[name='index']").click()
    table = driver.find_element(By.ID, "decision-claims").text
    assert second.transaction_id in table and third.transaction_id in table
    driver.find_element(By.NAME, "reason").send_keys("No such payment at the bank")
    driver.find_element(By.ID, "confirm-decision").click()
    msgs = _messages(driver)
    for claim in (second, third):
        assert any(m.startswith(f"{claim.transaction_id}: done") for m in msgs), msgs
    assert any("2 done, 0 skipped, 0 failed" in m for m in msgs), msgs
    assert _absent(driver, By.CSS_SELECTOR, "#result_list tbody tr")  # queue empty

    statuses = dict(
        Transaction.objects.filter(pk__in=[first.pk, second.pk, third.pk]).values_list("pk", "status")
    )
    assert statuses == {first.pk: "COMPLETED", second.pk: "CANCELED", third.pk: "CANCELED"}

    driver.get(live_server.url + reverse("admin:transactions_transaction_change", args=[second.pk]))
    assert "No such payment at the bank" in driver.find_element(By.TAG_NAME, "body").text


def test_auditor_sees_no_decision_buttons(driver, live_server, make_user, make_claim):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    auditor = make_user("auditor", is_staff=True)
    claim = make_claim()
    _login(driver, live_server, auditor.email)
    driver.get(live_server.url + reverse("admin:transactions_transaction_changelist"))
    options = {o.get_attribute("value") for o in Select(driver.find_element(By.NAME, "action")).options}
    assert options == {"", "export_selected_csv"}
    driver.get(live_server.url + reverse("admin:transactions_transaction_change", args=[claim.pk]))
    driver.find_element(By.ID, "content-main")
    assert _absent(driver, By.ID, "decision-buttons")
    assert _absent(driver, By.ID, "decide-approve")


def test_demo_amount_mismatch_shows_the_bank_row(driver, live_server, settings):
    """`make run`'s demo claim, verified for real through the in-process sandbox: the explanation
    panel shows the bank row's amount (99.99) and reference, not "No transaction rows"."""
    from django.core.management import call_command
    from selenium.webdriver.common.by import By

    from banking.sandbox.state import default_state
    from transactions.models import Transaction

    default_state().reset()
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("verification_worker", "--once", stdout=open(os.devnull, "w"))  # noqa: SIM115
    claim = Transaction.objects.get(transaction_id="demo-amount-mismatch")
    assert claim.status == "TO_REVIEW" and claim.status_reason_code == "AMOUNT_MISMATCH"

    _login(driver, live_server, "reconciler@demo.areamedica.test", password="demo-reconciler-2026")
    driver.get(live_server.url + reverse("admin:transactions_transaction_change", args=[claim.pk]))
    panel = driver.find_element(By.CSS_SELECTOR, "table.bank-rows").text
    _shot(driver, "bank-answer-demo-amount-mismatch.png")
    assert "99.99" in panel and "011122233344" in panel
    assert "No transaction rows" not in driver.find_element(By.TAG_NAME, "body").text
