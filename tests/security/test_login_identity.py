"""Finding 1: one canonical email (NFKC + casefold) for the user row, both login paths and every
rate-limit and lockout key. Before: the rate-limit key was `.lower()` and the user look-up
PostgreSQL `UPPER()` (C.UTF-8 maps the dotless ı to I), so `vıctim@…` logged into `victim@…` past
its lockout."""

import uuid

import pytest
from django.db import IntegrityError, connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.emails import canonical_email
from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

WRONG = "wrong-password-123"


def _api_login(client, email, password):
    return client.post(reverse("token_obtain"), {"email": email, "password": password}, format="json")


def _admin_login(client, email, password):
    return client.post(reverse("admin:login"), {"username": email, "password": password})


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("VICTIM@Example.ORG", "victim@example.org"),  # mixed case
        ("ｖｉｃｔｉｍ@example.org", "victim@example.org"),  # full-width letters
        ("ſam@example.org", "sam@example.org"),  # long s
        ("ﬁnance@example.org", "finance@example.org"),  # ligature
        ("  Straße@example.org ", "strasse@example.org"),  # full case folding
        ("vıctim@example.org", "vıctim@example.org"),  # dotless ı stays itself: another address
    ],
)
def test_canonical_form(spelling, canonical):
    assert canonical_email(spelling) == canonical
    assert canonical_email(canonical) == canonical  # idempotent


def test_the_user_row_stores_the_canonical_form_under_a_plain_unique_index(make_user):
    user = make_user(email="ＭＩＸ.Case@Example.org")
    assert User.objects.get(pk=user.pk).email == "mix.case@example.org"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'accounts_user' AND indexdef LIKE '%UNIQUE%'"
            " AND indexdef LIKE '%(email)%'"
        )
        assert cursor.fetchall(), "a unique index on the email column itself"
    with pytest.raises(IntegrityError):
        User.objects.create_user(email="mix.case@EXAMPLE.org", password=PASSWORD)


@pytest.mark.parametrize("lookalike", ["vıctim", "VİCTIM"])
def test_dotless_i_is_not_the_victims_account(make_user, lookalike):
    make_user(email="victim@example.org")
    api = APIClient(REMOTE_ADDR=f"10.31.{uuid.uuid4().int % 250}.1")
    response = _api_login(api, f"{lookalike}@example.org", PASSWORD)
    assert response.status_code in (400, 401) and "access" not in response.json()
    admin = Client(REMOTE_ADDR=f"10.32.{uuid.uuid4().int % 250}.1")
    response = _admin_login(admin, f"{lookalike}@example.org", PASSWORD)
    assert "_auth_user_id" not in admin.session, response.status_code


@pytest.mark.parametrize("spelling", ["VICTIM@EXAMPLE.ORG", "ｖｉｃｔｉｍ@example.org", "Victim@Example.Org"])
def test_api_lockout_holds_for_every_spelling_of_the_address(make_user, settings, spelling):
    settings.LOGIN_RATE_PER_EMAIL = "5/m"
    settings.LOGIN_RATE_PER_IP = "1000/m"
    make_user(email="victim@example.org")
    api = APIClient(REMOTE_ADDR=f"10.33.{uuid.uuid4().int % 250}.1")
    for _ in range(5):
        assert _api_login(api, "victim@example.org", WRONG).status_code == 401
    assert _api_login(api, spelling, PASSWORD).status_code == 429


def test_api_lockout_holds_for_the_long_s_and_the_ligature(make_user, settings):
    settings.LOGIN_RATE_PER_EMAIL = "3/m"
    settings.LOGIN_RATE_PER_IP = "1000/m"
    make_user(email="sam.fields@example.org")
    api = APIClient(REMOTE_ADDR=f"10.34.{uuid.uuid4().int % 250}.1")
    for spelling in ("ſam.fields@example.org", "sam.ﬁelds@example.org", "SAM.FIELDS@example.org"):
        assert _api_login(api, spelling, WRONG).status_code == 401
    assert _api_login(api, "sam.fields@example.org", PASSWORD).status_code == 429


def test_admin_lockout_holds_for_every_spelling_of_the_address(make_user, settings):
    settings.ADMIN_LOGIN_RATE_PER_EMAIL = "3/15m"
    settings.ADMIN_LOGIN_RATE_PER_IP = "100/15m"
    make_user("reconciler", email="sam.fields@example.org", is_staff=True)
    c = Client(REMOTE_ADDR=f"10.35.{uuid.uuid4().int % 250}.1")
    codes = [
        _admin_login(c, spelling, WRONG).status_code
        for spelling in ("ſam.fields@example.org", "SAM.ﬁelds@example.org")
    ]
    assert codes == [200, 200]
    assert _admin_login(c, "ｓａｍ.fields@example.org", WRONG).status_code == 429
    assert _admin_login(c, "sam.fields@example.org", PASSWORD).status_code == 429
    assert "_auth_user_id" not in c.session


def test_login_with_another_spelling_of_the_right_address_works(make_user):
    user = make_user(email="sam.fields@example.org")
    api = APIClient(REMOTE_ADDR=f"10.36.{uuid.uuid4().int % 250}.1")
    response = _api_login(api, "ſam.ＦＩＥＬＤＳ@example.org", PASSWORD)
    assert response.status_code == 200
    assert response.json()["user"]["id"] == str(user.pk)


def test_the_data_migration_normalises_rows_and_refuses_collisions():
    from importlib import import_module

    from django.apps import apps as real_apps

    migration = import_module("accounts.migrations.0005_canonical_email")
    User.objects.create_user(email="plain@example.org", password=PASSWORD)
    # A row written before the canonical form existed (bypassing save()).
    User.objects.filter(email="plain@example.org").update(email="ＰＬＡＩＮ.ﬁ@Example.org")

    class Editor:
        connection = connection

    migration.canonicalise(real_apps, Editor())
    assert User.objects.filter(email="plain.fi@example.org").exists()

    User.objects.create_user(email="other@example.org", password=PASSWORD)
    User.objects.filter(email="other@example.org").update(email="PLAIN.FI@example.org")
    with pytest.raises(RuntimeError, match="collapse to one canonical form"):
        migration.canonicalise(real_apps, Editor())
