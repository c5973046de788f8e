import pytest
from django.test import Client
from django.urls import reverse

from audit import actions
from audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(make_user):
    return record(
        action=actions.TRANSACTION_STATUS_CHANGED,
        before={"status": "TO_REVIEW"},
        after={"status": "COMPLETED", "note": "<script>x</script>"},
        reason="approved",
    )


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_auditor_can_view_list_and_detail_read_only(auditor_user, event):
    c = _client(auditor_user)
    changelist = c.get(reverse("admin:audit_auditevent_changelist"))
    assert changelist.status_code == 200
    assert b"transaction.status_changed" in changelist.content
    assert b'name="action"' not in changelist.content  # no bulk actions (no delete action)
    detail = c.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert b"&quot;COMPLETED&quot;" in detail.content or b'"COMPLETED"' in detail.content
    assert b"<script>x</script>" not in detail.content  # escaped


def test_changelist_filters_and_search(auditor_user, event):
    other = record(action=actions.ADMIN_ACTION, actor_label="someone@example.test", actor_type="SYSTEM")
    c = _client(auditor_user)
    url = reverse("admin:audit_auditevent_changelist")

    def shown(params):
        response = c.get(url, params)
        assert response.status_code == 200
        return [e.pk for e in response.context["cl"].result_list]

    assert shown({"action": "transaction.status_changed"}) == [event.pk]
    assert shown({"actor_type__exact": "SYSTEM", "action": "admin.action"}) == [other.pk]
    assert shown({"q": "someone@example.test"}) == [other.pk]
    everything = shown({})  # also holds the force_login's auth.login_succeeded event
    assert everything == sorted(everything, reverse=True) and {other.pk, event.pk} <= set(everything)


def test_no_add_change_or_delete_in_admin(admin_user, event):
    c = _client(admin_user)
    assert c.get(reverse("admin:audit_auditevent_add")).status_code == 403
    change = reverse("admin:audit_auditevent_change", args=[event.pk])
    c.post(change, {"reason": "tampered"})
    event.refresh_from_db()
    assert event.reason == "approved"
    assert (
        c.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    )


def test_client_has_no_admin_access(client_user, event):
    response = _client(client_user).get(reverse("admin:audit_auditevent_changelist"))
    assert response.status_code == 302
