"""The per-process memory of verified access tokens (accounts.authentication.VerifiedTokens): a
token verified once is not decoded again, but its expiry, its user, the user's token version and
active flag are checked on every request, and any other bytes are verified in full."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken
from rest_framework_simplejwt.utils import aware_utcnow

from accounts import services
from accounts.authentication import VERIFIED_TOKENS, VerifiedTokens
from accounts.roles import CLIENT
from tests.foundation.helpers import assert_envelope

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty():
    VERIFIED_TOKENS.clear()
    yield
    VERIFIED_TOKENS.clear()


def _client(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def decodes(monkeypatch):
    """How many times simplejwt decoded a token (its signature and claims checked)."""
    calls = []
    real = AccessToken.__init__

    def counting(self, *args, **kwargs):
        calls.append(args[0] if args else kwargs.get("token"))
        real(self, *args, **kwargs)

    monkeypatch.setattr(AccessToken, "__init__", counting)
    return calls


def test_a_verified_token_is_decoded_once_and_keeps_working(make_user, decodes):
    token = AccessToken.for_user(make_user(CLIENT))
    decodes.clear()
    client = _client(token)
    for _ in range(3):
        assert client.get(reverse("me")).status_code == 200
    assert len(decodes) == 1
    assert len(VERIFIED_TOKENS) == 1


def test_an_expired_token_is_refused_even_after_it_was_verified(make_user):
    token = AccessToken.for_user(make_user(CLIENT))
    token.set_exp(lifetime=timedelta(seconds=2))
    client = _client(token)
    assert client.get(reverse("me")).status_code == 200
    assert len(VERIFIED_TOKENS) == 1
    while aware_utcnow().timestamp() <= token["exp"]:  # real time: PyJWT checks it too
        time.sleep(0.05)
    assert_envelope(client.get(reverse("me")), 401, "token_not_valid")
    assert len(VERIFIED_TOKENS) == 0  # dropped, and simplejwt's own check refused it


def test_other_bytes_are_verified_in_full(make_user):
    token = str(AccessToken.for_user(make_user(CLIENT)))
    assert _client(token).get(reverse("me")).status_code == 200
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    assert_envelope(_client(forged).get(reverse("me")), 401, "token_not_valid")
    assert len(VERIFIED_TOKENS) == 1


def test_the_user_is_still_checked_on_every_request(make_user):
    user = make_user(CLIENT)
    client = _client(AccessToken.for_user(user))
    assert client.get(reverse("me")).status_code == 200
    user.is_active = False
    user.save()
    assert assert_envelope(client.get(reverse("me")), 401)["message"] == "User is inactive."
    user.is_active = True
    user.save()
    services.user_set_password(user=user, password="another-long-passphrase-2026", actor=user, channel="test")
    assert assert_envelope(client.get(reverse("me")), 401)["message"] == "Token has been revoked."


def test_the_memory_is_bounded_least_recently_used_first():
    memory = VerifiedTokens(size=2)
    tokens = {name: AccessToken() for name in "abc"}
    memory.put(b"a", tokens["a"])
    memory.put(b"b", tokens["b"])
    assert memory.get(b"a") is tokens["a"]  # a is now the most recent
    memory.put(b"c", tokens["c"])
    assert len(memory) == 2
    assert memory.get(b"b") is None
    assert memory.get(b"a") is tokens["a"] and memory.get(b"c") is tokens["c"]
