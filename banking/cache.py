"""Small helpers over the shared `default` cache (Redis in production)."""

from django.core.cache import caches


def shared_cache():
    return caches["default"]


def incr(key: str, *, timeout: float) -> int:
    """Atomic increment that creates the key (with a TTL) when missing."""
    cache = shared_cache()
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 0, timeout=timeout)
        return cache.incr(key)
