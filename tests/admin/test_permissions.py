"""Who may see and do what in the claims admin (client, auditor, reconciler, admin)."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from transactions.models import Transaction

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:transactions_transaction_changelist"


def _decide_url(claim, name):
    return reverse("admin:transactions_transaction_decide", args=[claim.pk, name])


def _action_names(response):
    form = response.context["action_form"]
    return {name for name, _ in form.fields["action"].choices if name}


@pytest.mark.parametrize(
    "url_name",
    [CHANGELIST, "admin:index", "admin:transactions_transaction_export"],
)
def test_anonymous_and_client_are_sent_to_login(url_name, client_user, login, client):
    url = reverse(url_name)
    assert client.get(url).status_code == 302
    response = login(client_user).get(url)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_client_cannot_post_a_decision(client_user, make_claim, login):
    claim = make_claim()
    c = login(client_user)
    response = c.post(_decide_url(claim, "approve"), {"reason": "x", f"expected_{claim.pk}": "TO_REVIEW"})
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    claim.refresh_from_db()
    assert claim.status == "TO_REVIEW"


def test_auditor_reads_but_has_no_decisions(auditor_user, make_claim, login):
    claim = make_claim()
    c = login(auditor_user)
    response = c.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert _action_names(response) == {"export_selected_csv"}
    page = c.get(reverse("admin:transactions_transaction_change", args=[claim.pk]))
    assert page.status_code == 200
    assert 'id="decision-buttons"' not in page.content.decode()
    assert 'name="_save"' not in page.content.decode()


@pytest.mark.parametrize("decision", ["approve", "reject", "reverify", "reopen"])
def test_auditor_post_is_refused(decision, auditor_user, make_claim, login):
    claim = make_claim()
    c = login(auditor_user)
    assert c.get(_decide_url(claim, decision)).status_code == 403
    response = c.post(_decide_url(claim, decision), {"reason": "r", f"expected_{claim.pk}": "TO_REVIEW"})
    assert response.status_code == 403
    # The bulk action path: not offered, so the admin refuses to run it.
    c.post(
        reverse(CHANGELIST),
        {
            "action": f"{decision}_selected",
            ACTION_CHECKBOX_NAME: [str(claim.pk)],
            "confirm": "yes",
            "reason": "r",
            f"expected_{claim.pk}": "TO_REVIEW",
        },
    )
    claim.refresh_from_db()
    assert claim.status == "TO_REVIEW"


def test_reconciler_has_decisions_but_not_reopen(reconciler_user, make_claim, login):
    claim = make_claim()
    c = login(reconciler_user)
    response = c.get(reverse(CHANGELIST))
    assert _action_names(response) == {
        "approve_selected",
        "reject_selected",
        "reverify_selected",
        "export_selected_csv",
    }
    page = c.get(reverse("admin:transactions_transaction_change", args=[claim.pk])).content.decode()
    assert 'id="decide-approve"' in page and 'id="decide-reject"' in page
    assert 'id="decide-reopen"' not in page
    done = make_claim(status="COMPLETED")
    assert c.get(_decide_url(done, "reopen")).status_code == 403
    assert (
        c.post(_decide_url(done, "reopen"), {"reason": "r", f"expected_{done.pk}": "COMPLETED"}).status_code
        == 403
    )
    done.refresh_from_db()
    assert done.status == "COMPLETED"


def test_admin_sees_reopen(admin_user, make_claim, login):
    done = make_claim(status="COMPLETED")
    c = login(admin_user)
    assert "reopen_selected" in _action_names(c.get(reverse(CHANGELIST)))
    page = c.get(reverse("admin:transactions_transaction_change", args=[done.pk])).content.decode()
    assert 'id="decide-reopen"' in page
    assert 'id="decide-approve"' not in page  # not eligible from COMPLETED


@pytest.mark.parametrize("role_fixture", ["auditor_user", "reconciler_user", "admin_user"])
def test_no_add_change_or_delete_for_anyone(role_fixture, request, make_claim, login):
    user = request.getfixturevalue(role_fixture)
    claim = make_claim()
    c = login(user)
    assert c.get(reverse("admin:transactions_transaction_add")).status_code == 403
    assert c.get(reverse("admin:transactions_transaction_delete", args=[claim.pk])).status_code == 403
    response = c.post(
        reverse("admin:transactions_transaction_change", args=[claim.pk]),
        {"status": "COMPLETED", "amount": "1.00"},
    )
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.status == "TO_REVIEW"
    assert Transaction.objects.count() == 1


def test_superuser_also_gets_a_read_only_change_page(make_user, make_claim, login):
    boss = make_user(None, is_staff=True, is_superuser=True)
    claim = make_claim()
    page = login(boss).get(reverse("admin:transactions_transaction_change", args=[claim.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
