import pytest
from django.core.cache import caches
from django.urls import reverse

from tests.conftest import PASSWORD


def _clear(cache):
    # django-redis: delete only our prefixed keys (clear() would FLUSHDB a shared Redis).
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters must not leak between tests (locmem / Redis alias `ratelimit`)."""
    _clear(caches["ratelimit"])
    yield
    _clear(caches["ratelimit"])


@pytest.fixture
def login(api_client):
    def _login(email, password=PASSWORD, **extra):
        return api_client.post(
            reverse("token_obtain"), {"email": email, "password": password}, format="json", **extra
        )

    return _login
