"""Decision forms: reason required, one service call per claim, per-claim outcome messages."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.selectors import events_for_target
from transactions import services
from transactions.models import Transaction

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:transactions_transaction_changelist"


def _bulk(c, action, claims, *, confirm=False, reason=None, expected=None, query=""):
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(x.pk) for x in claims]}
    if confirm:
        data["confirm"] = "yes"
        for claim in claims:
            data[f"expected_{claim.pk}"] = (expected or {}).get(claim.pk, claim.status)
    else:
        data["index"] = "0"
    if reason is not None:
        data["reason"] = reason
    return c.post(reverse(CHANGELIST) + query, data)


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_bulk_form_shows_claims_and_what_changes(reconciler_user, make_claim, login):
    a, b = make_claim(), make_claim()
    response = _bulk(login(reconciler_user), "approve_selected", [a, b])
    assert response.status_code == 200
    html = response.content.decode()
    assert a.transaction_id in html and b.transaction_id in html
    assert 'name="reason"' in html and "csrfmiddlewaretoken" in html
    assert f'name="expected_{a.pk}" value="TO_REVIEW"' in html
    assert Transaction.objects.filter(status="TO_REVIEW").count() == 2


def test_reason_is_required(reconciler_user, make_claim, login):
    a = make_claim()
    response = _bulk(login(reconciler_user), "approve_selected", [a], confirm=True, reason="   ")
    assert response.status_code == 200
    assert "A reason is required." in response.content.decode()
    a.refresh_from_db()
    assert a.status == "TO_REVIEW"
    assert not events_for_target(a).exists()


def test_bulk_approve_changes_each_claim_once_and_audits(reconciler_user, make_claim, login):
    claims = [make_claim() for _ in range(3)]
    c = login(reconciler_user)
    before = AuditEvent.objects.count()
    response = _bulk(
        c,
        "approve_selected",
        claims,
        confirm=True,
        reason="Matched by hand on the statement",
        query="?status__exact=TO_REVIEW",
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?status__exact=TO_REVIEW")
    msgs = _messages(response)
    for claim in claims:
        claim.refresh_from_db()
        assert claim.status == "COMPLETED"
        assert claim.status_reason == "Matched by hand on the statement"
        events = list(events_for_target(claim))
        assert [e.action for e in events] == ["transaction.status_changed"]
        assert events[0].actor_id == reconciler_user.pk
        assert any(m.startswith(f"{claim.transaction_id}: done") for m in msgs)
    summary = AuditEvent.objects.filter(action="admin.action").get()
    assert summary.metadata["action"] == "approve"
    assert sorted(summary.metadata["done"]) == sorted(c.transaction_id for c in claims)
    assert summary.reason == "Matched by hand on the statement"
    assert AuditEvent.objects.count() == before + 4


def test_claim_changed_between_form_and_submit_is_skipped(reconciler_user, make_user, make_claim, login):
    a, b = make_claim(), make_claim()
    c = login(reconciler_user)
    form = _bulk(c, "reject_selected", [a, b])
    assert f'name="expected_{b.pk}" value="TO_REVIEW"' in form.content.decode()
    # Meanwhile another reconciler approves b.
    services.transition(claim=b, to_status="COMPLETED", actor=make_user("reconciler"), reason="other desk")
    response = _bulk(
        c, "reject_selected", [a, b], confirm=True, reason="No such payment", expected={b.pk: "TO_REVIEW"}
    )
    assert response.status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == "CANCELED"
    assert b.status == "COMPLETED"  # not overwritten
    msgs = _messages(response)
    assert any(m.startswith(f"{a.transaction_id}: done") for m in msgs)
    assert any(m.startswith(f"{b.transaction_id}: skipped") and "changed meanwhile" in m for m in msgs)
    summary = AuditEvent.objects.filter(action="admin.action").get()
    assert summary.metadata["skipped"] == [b.transaction_id]


def test_ineligible_claims_are_listed_but_not_submitted(reconciler_user, make_claim, login):
    queued, done = make_claim(), make_claim(status="COMPLETED")
    html = _bulk(login(reconciler_user), "approve_selected", [queued, done]).content.decode()
    assert f'name="expected_{queued.pk}"' in html
    assert f'name="expected_{done.pk}"' not in html
    assert "not eligible" in html


def test_forged_expected_status_for_ineligible_claim_fails_cleanly(reconciler_user, make_claim, login):
    done = make_claim(status="COMPLETED")
    response = _bulk(
        login(reconciler_user),
        "approve_selected",
        [done],
        confirm=True,
        reason="x",
        expected={done.pk: "COMPLETED"},
    )
    assert response.status_code == 302
    done.refresh_from_db()
    assert done.status == "COMPLETED"
    assert any("skipped" in m for m in _messages(response))


def test_change_page_approve(reconciler_user, make_claim, login):
    claim = make_claim()
    c = login(reconciler_user)
    url = reverse("admin:transactions_transaction_decide", args=[claim.pk, "approve"])
    form = c.get(url)
    assert form.status_code == 200
    assert f'name="expected_{claim.pk}" value="TO_REVIEW"' in form.content.decode()
    response = c.post(url, {"reason": "Seen on the statement", f"expected_{claim.pk}": "TO_REVIEW"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:transactions_transaction_change", args=[claim.pk])
    claim.refresh_from_db()
    assert claim.status == "COMPLETED"
    page = c.get(response["Location"]).content.decode()
    assert "Seen on the statement" in page  # the new event shows in the history
    assert "TO_REVIEW → COMPLETED" in page


def test_change_page_post_without_csrf_token_is_refused(reconciler_user, make_claim):
    from django.test import Client

    claim = make_claim()
    c = Client(enforce_csrf_checks=True)
    c.force_login(reconciler_user)
    url = reverse("admin:transactions_transaction_decide", args=[claim.pk, "approve"])
    response = c.post(url, {"reason": "x", f"expected_{claim.pk}": "TO_REVIEW"})
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.status == "TO_REVIEW"


def test_admin_reopens_a_completed_claim(admin_user, make_claim, login):
    claim = make_claim(status="COMPLETED")
    response = _bulk(login(admin_user), "reopen_selected", [claim], confirm=True, reason="Customer disputes")
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "TO_REVIEW"
    event = events_for_target(claim).get()
    assert event.metadata["from_status"] == "COMPLETED"


def test_reverify_queues_a_look_up_and_reports(reconciler_user, make_claim, login):
    """Re-verify uses the API's service (claim_request_verification): the claim becomes due now and
    the verification worker looks it up (in-process Banesco sandbox, no network)."""
    from django.core.management import call_command

    claim = make_claim(status="IN_PROGRESS", next_verification_at=timezone.now() + timedelta(hours=1))
    response = _bulk(
        login(reconciler_user), "reverify_selected", [claim], confirm=True, reason="customer called"
    )
    assert response.status_code == 302
    msgs = _messages(response)
    assert any(m.startswith(f"{claim.transaction_id}: ") for m in msgs), msgs
    claim.refresh_from_db()
    assert claim.verification_attempts == 0  # the admin request itself looked nothing up
    assert claim.next_verification_at <= timezone.now()
    call_command("verification_worker", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115
    claim.refresh_from_db()
    assert claim.verification_attempts == 1  # exactly one look-up recorded
    assert events_for_target(claim).filter(action__startswith="transaction.").count() == 1
