import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_changelist_and_change_page_render(make_claim, reconciler_user, login):
    claim = make_claim(banesco_payload={"httpStatus": {"statusCode": "200"}}, status_reason="x")
    c = login(reconciler_user)
    r = c.get(reverse("admin:transactions_transaction_changelist"))
    assert r.status_code == 200, r.content[:2000]
    assert claim.transaction_id in r.content.decode()
    r = c.get(reverse("admin:transactions_transaction_change", args=[claim.pk]))
    assert r.status_code == 200
    r = c.get(reverse("admin:index"))
    assert r.status_code == 200
