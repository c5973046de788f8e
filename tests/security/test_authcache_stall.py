"""Finding 3: the auth cache must not outlive a Redis stall. The exact sequence of the report:
cache warm, Redis paused, a role revoked and a user deactivated, Redis resumed — the revoked user
must not create a claim and the deactivated one must not list claims. Before: 201 and 200 for the
rest of the 300 s TTL (the invalidation was a cache write, and it had failed)."""

import pytest
from django.core.cache import caches
from django.urls import reverse

from accounts import services
from accounts.roles import CLIENT

pytestmark = pytest.mark.django_db(transaction=True)

LIST_URL = "/api/v1/transactions/"


def test_revocation_during_a_redis_stall_is_honoured_once_redis_resumes(
    private_redis, roles, make_user, auth_client, admin_user, settings, api_payload
):
    settings.AUTH_CACHE_SECONDS = 300
    creator, reader = make_user(CLIENT), make_user(CLIENT)
    creator_api, reader_api = auth_client(creator), auth_client(reader)
    # Warm: both users and their permission sets are in the (private) Redis.
    assert creator_api.post(reverse("transaction-list"), api_payload(), format="json").status_code == 201
    assert reader_api.get(LIST_URL).status_code == 200
    assert any(k for k in caches["default"].keys("accounts:*")), "the auth cache is warm in Redis"

    private_redis.pause()
    try:
        # The changes happen while Redis is stalled (any cache call times out meanwhile).
        services.user_set_roles(user=creator, roles=[], actor=admin_user)
        services.user_deactivate(user=reader, actor=admin_user, reason="left")
    finally:
        private_redis.resume()

    assert creator_api.post(reverse("transaction-list"), api_payload(), format="json").status_code == 403
    assert reader_api.get(LIST_URL).status_code == 401
