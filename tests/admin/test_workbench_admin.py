"""The workbench through the admin (Django test client): permissions on POST, the assignee column,
the decision form's warning and confirmation on someone else's claim, the side-by-side panel."""

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from transactions.models import Status, Transaction
from transactions.workbench import assignment

pytestmark = pytest.mark.django_db


def _wb(claim, action):
    return reverse("admin:transactions_transaction_workbench", args=[claim.pk, action])


def _change(claim):
    return reverse("admin:transactions_transaction_change", args=[claim.pk])


def test_claim_page_shows_the_workbench_to_reconcilers_only(login, make_claim, reconciler_user, auditor_user):
    claim = make_claim()
    page = login(reconciler_user).get(_change(claim)).content.decode()
    for marker in ('id="wb-search-form"', 'id="wb-note-form"', 'id="wb-take"', 'id="wb-side-by-side"'):
        assert marker in page
    assert 'value="04141234567"' in page and 'value="2025-01-15"' in page  # pre-filled from the claim
    page = login(auditor_user).get(_change(claim)).content.decode()
    assert 'id="wb-side-by-side"' in page  # the evidence is for everyone who may read the claim
    assert 'id="wb-search-form"' not in page and 'id="wb-take"' not in page


def test_workbench_posts_check_the_permission(login, make_claim, auditor_user, reconciler_user):
    claim = make_claim()
    auditor = login(auditor_user)
    for action in ("search", "approve_row", "note", "take", "release"):
        assert auditor.post(_wb(claim, action), {"text": "x"}).status_code == 403
    assert auditor.post(reverse("admin:transactions_transaction_next")).status_code == 403
    assert login(reconciler_user).get(_wb(claim, "take")).status_code == 405
    claim.refresh_from_db()
    assert claim.assigned_to is None


def test_take_then_queue_shows_the_assignee(login, make_claim, reconciler_user):
    claim = make_claim()
    client = login(reconciler_user)
    response = client.post(_wb(claim, "take"))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.assigned_to == reconciler_user
    queue = client.get(reverse("admin:transactions_transaction_changelist") + "?status__exact=TO_REVIEW")
    assert 'class="wb-assignee"' in queue.content.decode()
    assert reconciler_user.email in queue.content.decode()


def test_next_claim_button_opens_the_oldest_free_claim(login, make_claim, reconciler_user):
    import datetime as dt

    from django.utils import timezone

    old = make_claim(created_at=timezone.now() - dt.timedelta(days=2))
    make_claim(created_at=timezone.now() - dt.timedelta(days=1))
    response = login(reconciler_user).post(reverse("admin:transactions_transaction_next"))
    assert response.status_code == 302 and response["Location"] == _change(old)
    assert Transaction.objects.get(pk=old.pk).assigned_to == reconciler_user


def test_bulk_decision_on_someone_elses_claim_warns_and_needs_the_confirmation(
    login, make_claim, reconciler_user, make_user
):
    other = make_user("reconciler", is_staff=True)
    claim = make_claim()
    assignment.claim_take(claim=claim, actor=other)
    client = login(reconciler_user)
    url = reverse("admin:transactions_transaction_changelist")
    form = client.post(url, {"action": "approve_selected", helpers.ACTION_CHECKBOX_NAME: [claim.pk]})
    page = form.content.decode()
    assert 'class="am-held-warning"' in page and other.email in page
    assert 'name="confirm_takeover"' in page
    data = {
        "action": "approve_selected",
        helpers.ACTION_CHECKBOX_NAME: [claim.pk],
        f"expected_{claim.pk}": Status.TO_REVIEW,
        "confirm": "yes",
        "reason": "bank statement checked",
    }
    client.post(url, data)
    assert Transaction.objects.get(pk=claim.pk).status == Status.TO_REVIEW  # not confirmed: skipped
    client.post(url, {**data, "confirm_takeover": "on"})
    assert Transaction.objects.get(pk=claim.pk).status == Status.COMPLETED


def test_single_decision_on_someone_elses_claim_needs_the_confirmation(
    login, make_claim, reconciler_user, make_user
):
    claim = make_claim()
    assignment.claim_take(claim=claim, actor=make_user("reconciler", is_staff=True))
    client = login(reconciler_user)
    url = reverse("admin:transactions_transaction_decide", args=[claim.pk, "reject"])
    data = {f"expected_{claim.pk}": Status.TO_REVIEW, "reason": "no such payment"}
    client.post(url, data)
    assert Transaction.objects.get(pk=claim.pk).status == Status.TO_REVIEW
    client.post(url, {**data, "confirm_takeover": "on"})
    assert Transaction.objects.get(pk=claim.pk).status == Status.CANCELED


def test_side_by_side_highlights_the_amount_that_differs(login, reconciler_user, claim_amount_differs):
    claim = claim_amount_differs()
    page = login(reconciler_user).get(_change(claim)).content.decode()
    panel = page[page.index('id="wb-side-by-side"') :]
    panel = panel[: panel.index("</table>")]
    assert 'class="wb-differs">150.00' in panel and "150.25" in panel
    assert 'class="wb-same">' + claim.reference in panel
    assert 'id="wb-lookups"' in page
