"""Who a request's user is and what they may do, kept in the shared cache between requests.

Every API request loads its JWT's user row and checks a permission, which Django computes with
two joined queries (the user's own and its groups' permissions). Those three queries were the
largest cost of an API read (≈ 3.3 ms of a 12 ms list request, see docs/PERFORMANCE.md). Here
the user row (without the password hash) and the permission set are cached in the `default`
cache (Redis in production, shared by every process) for `AUTH_CACHE_SECONDS`.

Invalidation is by *generation*: one cache key holds a random token; every cached entry records
the token it was computed under and is used only while that token is current. Any change that can
alter who a user is or what they may do — a user saved or deleted (deactivation, roles'
`is_staff`, a login's `last_login`), group membership, a user's or a group's permissions, a group
or permission saved or deleted — replaces the token, at once and again after the surrounding
transaction commits (an entry recomputed in between from the not-yet-committed database is thus
discarded too). A token is never reused, so an evicted or flushed generation key cannot revive an
old entry. Deactivating a user or revoking a role therefore takes effect on the next request, in
every process. Only a change made behind Django's back (raw SQL) waits for the timeout.

Off (0) by default without Redis: the local-memory cache is per process, and a change made by a
`manage.py` command could not invalidate a server's copy. A cache outage falls back to the
database.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

GENERATION_KEY = "accounts:auth-generation"

# Models whose changes can alter a user or a permission set (m2m through models by their label).
M2M_LABELS = frozenset({"accounts.User_groups", "accounts.User_user_permissions", "auth.Group_permissions"})
MODEL_LABELS = frozenset({"accounts.User", "auth.Group", "auth.Permission"})


def enabled() -> bool:
    return getattr(settings, "AUTH_CACHE_SECONDS", 0) > 0


def _lookup(*keys: str) -> tuple[list, str | None]:
    """([each key's cached value or None], current generation or None) in one cache round trip."""
    try:
        found = cache.get_many([GENERATION_KEY, *keys])
        generation = found.get(GENERATION_KEY)
        if generation is None:
            cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
            return [None] * len(keys), cache.get(GENERATION_KEY)
    except Exception:  # any cache failure: the caller reads the database
        logger.warning("auth_cache_unavailable", exc_info=True)
        return [None] * len(keys), None
    values = []
    for key in keys:
        entry = found.get(key)
        values.append(entry[1] if entry is not None and entry[0] == generation else None)
    return values, generation


def _store(key: str, value, generation: str | None) -> None:
    if generation is None:
        return
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
    request costs one cache read and no query.
    """
    if not enabled():
        return load()
    (found, perms), generation = _lookup(_user_key(user_id), _perms_key(user_id))
    if found is None:
        found = load()  # after reading the generation: a change meanwhile makes the entry stale
        if found is not None:
            _store(_user_key(user_id), found, generation)
    if found is not None and perms is not None:
        found._perm_cache = set(perms)  # what ModelBackend memoises per request
    return found


def permissions(user_obj, compute: Callable[[], set[str]]) -> set[str]:
    """The user's permission set (`compute()` on a miss)."""
    if not enabled():
        return compute()
    (perms,), generation = _lookup(_perms_key(user_obj.pk))
    if perms is None:
        perms = sorted(compute())
        _store(_perms_key(user_obj.pk), perms, generation)
    return set(perms)


def new_generation() -> None:
    """Invalidate every cached entry."""
    try:
        cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:  # entries cached before the outage expire by their timeout
        logger.error("auth_cache_invalidation_failed", exc_info=True)


def invalidate() -> None:
    """Now (no request keeps using an old entry) and after commit (see the module docstring)."""
    if not enabled():
        return
    new_generation()
    transaction.on_commit(new_generation)


def on_m2m_changed(sender, action, **kwargs) -> None:
    if sender._meta.label in M2M_LABELS and action in {"post_add", "post_remove", "post_clear"}:
        invalidate()


def on_model_changed(sender, **kwargs) -> None:
    if sender._meta.label in MODEL_LABELS:
        invalidate()
