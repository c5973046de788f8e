"""accounts.authcache: JWT users and permission sets cached between requests, never stale.

The suite runs with AUTH_CACHE_SECONDS on (config/test_settings.py), so every permission test of
the project goes through the cache; these tests pin its own promises: a warm request reads no
auth rows, and any change to a user, a role or a permission is seen by the very next request.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from accounts import authcache, services
from accounts.roles import RECONCILER

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/transactions/"
AUTH_TABLES = ("accounts_user", "auth_permission", "auth_group")


def _auth_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if any(f'"{table}"' in q["sql"] for table in AUTH_TABLES)]


def _get(client, url=LIST_URL):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, queries.captured_queries


def test_a_warm_request_reads_no_auth_rows(auth_client, reconciler_user):
    api = auth_client(reconciler_user)
    first, first_queries = _get(api)
    second, second_queries = _get(api)
    assert first.status_code == second.status_code == 200
    assert len(_auth_queries(first_queries)) == 3  # the user, its permissions, its groups' permissions
    assert _auth_queries(second_queries) == []
    generation_reads = [q for q in second_queries if '"accounts_authgeneration"' in q["sql"]]
    assert len(generation_reads) == 1  # the one single-row read that keeps entries honest
    assert second.json() == first.json()


def test_the_cached_user_carries_no_password_hash(auth_client, reconciler_user):
    assert _get(auth_client(reconciler_user))[0].status_code == 200
    generation, cached = cache.get(f"accounts:user:{reconciler_user.pk}")
    assert generation == authcache.current_generation()
    assert cached.pk == reconciler_user.pk
    assert "password" in cached.get_deferred_fields()


def test_a_revoked_role_is_denied_on_the_next_request(auth_client, reconciler_user, admin_user):
    api = auth_client(reconciler_user)
    assert _get(api)[0].status_code == 200
    services.user_set_roles(user=reconciler_user, roles=[], actor=admin_user)
    assert _get(api)[0].status_code == 403


def test_a_granted_role_works_on_the_next_request(auth_client, make_user, admin_user):
    user = make_user(role=None)
    api = auth_client(user)
    assert _get(api)[0].status_code == 403
    services.user_set_roles(user=user, roles=[RECONCILER], actor=admin_user)
    assert _get(api)[0].status_code == 200


def test_a_permission_removed_from_a_group_is_denied_on_the_next_request(auth_client, reconciler_user):
    api = auth_client(reconciler_user)
    assert _get(api)[0].status_code == 200
    view = Permission.objects.get(content_type__app_label="transactions", codename="view_transaction")
    Group.objects.get(name=RECONCILER).permissions.remove(view)
    assert _get(api)[0].status_code == 403


def test_a_deactivated_user_is_refused_on_the_next_request(auth_client, reconciler_user, admin_user):
    api = auth_client(reconciler_user)
    assert _get(api)[0].status_code == 200
    services.user_deactivate(user=reconciler_user, actor=admin_user, reason="left the company")
    assert _get(api)[0].status_code == 401


def test_an_entry_computed_before_a_change_is_never_used():
    """A request that read the database before a change commits must not poison the cache."""
    key = "accounts:perms:someone"
    _, generation = authcache._lookup(key)  # request A reads the generation, then the database
    authcache.invalidate()  # a role change lands meanwhile
    authcache._store(key, ["transactions.view_transaction"], generation)  # A stores what it read
    assert authcache._lookup(key)[0] == [None]


def test_an_invalidation_rolled_back_with_its_change_keeps_entries():
    """The generation is bumped in the change's transaction: a rolled-back change costs nothing."""
    from django.db import transaction

    key = "accounts:perms:someone"
    _, generation = authcache._lookup(key)
    authcache._store(key, ["transactions.view_transaction"], generation)
    with pytest.raises(RuntimeError), transaction.atomic():
        authcache.invalidate()
        raise RuntimeError("the change failed")
    assert authcache._lookup(key)[0] == [["transactions.view_transaction"]]


@override_settings(AUTH_CACHE_SECONDS=0)
def test_off_means_every_request_reads_the_database(auth_client, reconciler_user):
    api = auth_client(reconciler_user)
    _get(api)
    response, queries = _get(api)
    assert response.status_code == 200
    assert len(_auth_queries(queries)) == 3


REDIS_CACHE = {
    "BACKEND": "django_redis.cache.RedisCache",
    "LOCATION": "redis://127.0.0.1:6379/6",
    "KEY_PREFIX": "am-test-authcache",
    "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
}
DEAD_CACHE = {**REDIS_CACHE, "LOCATION": "redis://127.0.0.1:1/0"}


def _with_default_cache(config):
    from django.conf import settings

    return override_settings(CACHES={**settings.CACHES, "default": config})


def test_with_redis_a_revoked_role_is_denied_on_the_next_request(auth_client, reconciler_user, admin_user):
    with _with_default_cache(REDIS_CACHE):
        cache.delete_pattern("*")
        api = auth_client(reconciler_user)
        _get(api)
        response, queries = _get(api)
        assert response.status_code == 200 and _auth_queries(queries) == []
        services.user_set_roles(user=reconciler_user, roles=[], actor=admin_user)
        assert _get(api)[0].status_code == 403
        cache.delete_pattern("*")


def test_a_cache_outage_falls_back_to_the_database(auth_client, reconciler_user, caplog):
    with _with_default_cache(DEAD_CACHE):
        response, queries = _get(auth_client(reconciler_user))
    assert response.status_code == 200
    assert len(_auth_queries(queries)) == 3
    assert "auth_cache_unavailable" in caplog.text


def test_a_warm_request_makes_no_cache_round_trip_and_a_change_still_wins(
    auth_client, reconciler_user, admin_user, caplog
):
    """The process's own copy answers a warm request (the shared cache can be down meanwhile) and
    is dropped as soon as a change bumps the generation."""
    api = auth_client(reconciler_user)
    with _with_default_cache(REDIS_CACHE):
        _get(api)  # computed and stored in both tiers
    with _with_default_cache(DEAD_CACHE):
        response, queries = _get(api)
        assert response.status_code == 200 and _auth_queries(queries) == []
        assert "auth_cache_unavailable" not in caplog.text  # the dead cache was never asked
        services.user_set_roles(user=reconciler_user, roles=[], actor=admin_user)
        response, queries = _get(api)
    assert response.status_code == 403
    assert len(_auth_queries(queries)) == 3  # recomputed from the database, not the stale copy
    assert "auth_cache_unavailable" in caplog.text


def test_the_local_copy_is_a_fresh_object_each_time():
    user_key, generation = "accounts:user:someone", authcache.current_generation()
    authcache._store(user_key, {"roles": ["reconciler"]}, generation)
    first = authcache._lookup(user_key)[0][0]
    first["roles"].append("admin")  # what a request does to its own object stays its own
    assert authcache._lookup(user_key)[0] == [{"roles": ["reconciler"]}]


def test_login_still_works_and_the_me_endpoint_sees_fresh_roles(login, reconciler_user, admin_user):
    access = login(reconciler_user.email).json()["access"]
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api.get(reverse("me")).json()["roles"] == [RECONCILER]
    services.user_set_roles(user=reconciler_user, roles=["auditor"], actor=admin_user)
    assert api.get(reverse("me")).json()["roles"] == ["auditor"]


@pytest.fixture
def persistent_connection(monkeypatch):
    """The production connection settings (CONN_MAX_AGE 60 + health checks) on a fresh connection."""
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)
    connection.ensure_connection()
    yield connection
    connection.close()


def _new_request() -> None:
    """What the WSGI handler does when a request starts (the test client skips it): a persistent
    connection is kept, and its health check is due again."""
    from django.db import close_old_connections

    close_old_connections()


def _spy_health_checks(monkeypatch) -> list[int]:
    """Count Django's connection health checks (`SELECT 1` through is_usable)."""
    calls: list[int] = []
    real = connection.is_usable

    def is_usable():
        calls.append(1)
        return real()

    monkeypatch.setattr(connection, "is_usable", is_usable)
    return calls


@pytest.mark.django_db(transaction=True)
def test_the_generation_read_is_the_requests_health_check(
    roles, auth_client, reconciler_user, persistent_connection, monkeypatch
):
    api = auth_client(reconciler_user)
    assert _get(api)[0].status_code == 200  # warm
    checks = _spy_health_checks(monkeypatch)
    _new_request()
    response, queries = _get(api)
    assert response.status_code == 200
    assert checks == []  # no separate SELECT 1: the generation read stood in for it
    assert queries[0]["sql"] == 'SELECT value FROM "accounts_authgeneration" WHERE id = 1'


@pytest.mark.django_db(transaction=True)
def test_a_dead_persistent_connection_is_replaced_without_failing_the_request(
    roles, auth_client, reconciler_user, persistent_connection
):
    import psycopg

    api = auth_client(reconciler_user)
    assert _get(api)[0].status_code == 200
    dead_pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    dsn = {k: v for k, v in params.items() if k in {"host", "port", "user", "password", "dbname"}}
    with psycopg.connect(**dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [dead_pid])
    _new_request()
    response = api.get(LIST_URL)
    assert response.status_code == 200
    assert connection.connection.info.backend_pid != dead_pid
