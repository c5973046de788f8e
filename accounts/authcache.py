"""Who a request's user is and what they may do, kept in the shared cache between requests.

Every API request loads its JWT's user row and checks a permission, which Django computes with
two joined queries (the user's own and its groups' permissions). Those three queries were the
largest cost of an API read (≈ 3.3 ms of a 12 ms list request, see docs/PERFORMANCE.md). Here
the user row (without the password hash) and the permission set are cached in the `default`
cache (Redis in production, shared by every process) for `AUTH_CACHE_SECONDS`.

Invalidation is by *generation*, and the generation lives in PostgreSQL (one row,
`accounts.AuthGeneration`), not in the cache. Every cached entry records the generation it was
computed under and is used only while that generation is current; each request reads the current
one with a single-row primary-key query (~0.1 ms). Any change that can alter who a user is or what
they may do — a user saved or deleted (deactivation, password change, `is_staff`), group
membership, a user's or a group's permissions, a group or permission saved or deleted — bumps the
row **in the change's own transaction**. So:

* the change and the invalidation commit together or not at all: no cache outage, stall or
  eviction can leave a stale entry alive (Redis paused while a role is revoked used to keep the
  old role for the rest of the 300 s TTL: the invalidation was a cache write and had failed);
* an entry recomputed while the change is still uncommitted carries the old generation and is
  discarded once the change commits (READ COMMITTED: the generation is read before the rows);
* a flushed or evicted cache only costs misses.

Deactivating a user, changing a password or revoking a role therefore takes effect on the next
request, in every process. Only a change made behind Django's back (raw SQL) waits for the timeout.
A login's `last_login` update does not bump the generation (it changes nothing an entry decides).

Off (0) by default without Redis: the local-memory cache is per process. A cache outage falls back
to the database.

In front of the shared cache each process keeps its own copy of the entries it used
(`_local`, at most `LOCAL_ENTRIES`), under the same rule: an entry is used only while its
generation is the one just read from PostgreSQL. A warm request therefore makes no cache round
trip at all (the Redis read was ≈ 10 % of a retrieve's CPU, docs/PERFORMANCE.md) and is exactly
as fresh: a change anywhere bumps the generation every process reads. Entries are kept pickled,
so each request gets its own user object, as from Redis.
"""

from __future__ import annotations

import logging
import pickle
import secrets
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.db.models import F

from accounts.models import AuthGeneration

logger = logging.getLogger(__name__)

GENERATION_ROW = 1

# Models whose changes can alter a user or a permission set (m2m through models by their label).
M2M_LABELS = frozenset({"accounts.User_groups", "accounts.User_user_permissions", "auth.Group_permissions"})
MODEL_LABELS = frozenset({"accounts.User", "auth.Group", "auth.Permission"})


def enabled() -> bool:
    return getattr(settings, "AUTH_CACHE_SECONDS", 0) > 0


def current_generation() -> int | None:
    """The generation in PostgreSQL (None: the row is missing, e.g. a flushed test database).

    Read on every authenticated API request, so it is kept to one round trip and little Python
    (docs/PERFORMANCE.md, "Where retrieve and status spent their time"):

    * a constant SQL string on a cursor, not a queryset: the ORM compiled the same one-row query
      every time (~0.3 ms of CPU in a 1.5 ms request on an idle core);
    * it doubles as the connection's health check. With persistent connections
      (`CONN_MAX_AGE` + `CONN_HEALTH_CHECKS`) Django sends `SELECT 1` before a request's first
      query; when this read is that first query it stands in for it (one round trip less): if it
      fails on a connection that turns out to be dead, the connection is closed and the read
      retried on a fresh one, which is what the health check would have done. Inside a
      transaction, or when the check is already done, it is a plain read.
    """
    table = connection.ops.quote_name(AuthGeneration._meta.db_table)
    sql = f"SELECT value FROM {table} WHERE id = {GENERATION_ROW:d}"  # noqa: S608 - constants
    if (
        connection.connection is not None
        and getattr(connection, "health_check_enabled", False)
        and not connection.health_check_done
        and not connection.in_atomic_block
    ):
        connection.health_check_done = True  # this read is the check
        try:
            return _read_one(sql)
        except (OperationalError, InterfaceError):
            if connection.is_usable():
                raise
            connection.close()  # a dead persistent connection: the next cursor reconnects
    return _read_one(sql)


def _read_one(sql: str) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return row[0] if row else None


# This process's copies: key -> (generation, monotonic expiry, pickled value).
LOCAL_ENTRIES = 4096
_local: dict[str, tuple[int, float, bytes]] = {}


def _local_get(key: str, generation: int):
    entry = _local.get(key)
    if entry is None or entry[0] != generation or entry[1] < time.monotonic():
        return None
    return pickle.loads(entry[2])  # noqa: S301 - bytes this process pickled itself


def _local_put(key: str, value, generation: int) -> None:
    if len(_local) >= LOCAL_ENTRIES:
        _local.clear()  # rare (more users than entries in one process): start over, no LRU book-keeping
    _local[key] = (generation, time.monotonic() + settings.AUTH_CACHE_SECONDS, pickle.dumps(value))


def _lookup(*keys: str) -> tuple[list, int | None]:
    """([each key's cached value or None], current generation or None)."""
    generation = current_generation()  # before the cache and before any row is loaded
    if generation is None:
        return [None] * len(keys), None
    values = [_local_get(key, generation) for key in keys]
    missing = [key for key, value in zip(keys, values, strict=True) if value is None]
    if not missing:
        return values, generation
    try:
        found = cache.get_many(missing)
    except Exception:  # any cache failure: the caller reads the database
        logger.warning("auth_cache_unavailable", exc_info=True)
        return values, None
    for i, key in enumerate(keys):
        entry = found.get(key)
        if values[i] is None and entry is not None and entry[0] == generation:
            values[i] = entry[1]
            _local_put(key, entry[1], generation)
    return values, generation


def _store(key: str, value, generation: int | None) -> None:
    if generation is None:
        return
    _local_put(key, value, generation)
    try:
        cache.set(key, (generation, value), timeout=settings.AUTH_CACHE_SECONDS)
    except Exception:
        logger.warning("auth_cache_unavailable", exc_info=True)


def _user_key(user_id) -> str:
    return f"accounts:user:{user_id}"


def _perms_key(user_id) -> str:
    return f"accounts:perms:{user_id}"


def user(user_id, load: Callable):
    """The user row for `user_id` (`load()` on a miss; None = no such user, not cached).

    The same round trip also fetches the user's permission set, when cached, so that a warm
    request costs one cache read and one single-row query (the generation).
    """
    if not enabled():
        return load()
    (found, perms), generation = _lookup(_user_key(user_id), _perms_key(user_id))
    if found is None:
        found = load()  # after reading the generation: a change meanwhile makes the entry stale
        if found is not None:
            _store(_user_key(user_id), found, generation)
    if found is not None:
        found._auth_generation = generation  # permissions() below: no second generation read
        if perms is not None:
            found._perm_cache = set(perms)  # what ModelBackend memoises per request
    return found


def permissions(user_obj, compute: Callable[[], set[str]]) -> set[str]:
    """The user's permission set (`compute()` on a miss)."""
    if not enabled():
        return compute()
    generation = getattr(user_obj, "_auth_generation", None)
    if generation is not None:
        perms = None  # user() looked the permission set up in the same round trip: a miss
    else:
        (perms,), generation = _lookup(_perms_key(user_obj.pk))
    if perms is None:
        perms = sorted(compute())
        _store(_perms_key(user_obj.pk), perms, generation)
    return set(perms)


def _table_exists() -> bool:
    return AuthGeneration._meta.db_table in connection.introspection.table_names()


def invalidate(*, during_migration: bool = False) -> None:
    """Bump the generation inside the caller's transaction (every cached entry becomes stale)."""
    if not enabled() or (during_migration and not _table_exists()):
        return
    bumped = AuthGeneration.objects.filter(pk=GENERATION_ROW).update(value=F("value") + 1)
    if not bumped:  # the row is gone (flushed test database): a fresh, unguessable start
        AuthGeneration.objects.get_or_create(pk=GENERATION_ROW, defaults={"value": secrets.randbits(62)})


def on_m2m_changed(sender, action, **kwargs) -> None:
    if sender._meta.label in M2M_LABELS and action in {"post_add", "post_remove", "post_clear"}:
        invalidate(during_migration=_historical(sender))


def on_model_changed(sender, update_fields=None, **kwargs) -> None:
    if sender._meta.label not in MODEL_LABELS:
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login's timestamp: nothing a cached entry decides
    invalidate(during_migration=_historical(sender))


def _historical(sender) -> bool:
    """A migration's historical model (its tables may not all exist yet)."""
    return sender.__module__ == "__fake__"
