"""Operations endpoints: liveness, readiness, Prometheus metrics. Plain Django views (no DRF auth).

`/metrics` needs no login; restrict it at the network (load balancer / ingress) and, if it must be
reachable more widely, set METRICS_TOKEN so that it requires `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hmac
import uuid

import structlog
from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from config import metrics
from config.exceptions import error_response

logger = structlog.get_logger(__name__)

READY_DATABASE_ALIAS = "default"
READY_CACHE_ALIAS = "default"


def _method_not_allowed(request, allowed: str):
    return error_response(
        "method_not_allowed",
        f'Method "{request.method}" not allowed.',
        status_code=405,
        headers={"Allow": allowed},
    )


def _only_get(view):
    def wrapped(request, *args, **kwargs):
        if request.method not in {"GET", "HEAD"}:
            return _method_not_allowed(request, "GET, HEAD")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return never_cache(wrapped)


@_only_get
def health(request):
    """Liveness: the process answers. Touches no database or cache."""
    return JsonResponse({"status": "ok"})


def check_database(alias: str = READY_DATABASE_ALIAS) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache(alias: str = READY_CACHE_ALIAS) -> None:
    cache = caches[alias]
    key = f"ready:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    value = cache.get(key)
    cache.delete(key)
    if value != "1":
        raise RuntimeError("cache round-trip returned a different value")


@_only_get
def ready(request):
    """Readiness: database `SELECT 1` and a cache round-trip; 503 naming the failed check."""
    checks: dict[str, str] = {}
    for name, check in (("database", check_database), ("cache", check_cache)):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; the reason is logged
            logger.warning("readiness_check_failed", check=name, error=type(exc).__name__)
            checks[name] = f"failed: {type(exc).__name__}"
    failed = [name for name, result in checks.items() if result != "ok"]
    if failed:
        return error_response(
            "not_ready",
            f"Not ready: {', '.join(failed)} check failed.",
            status_code=503,
            details={"failed": failed, "checks": checks},
            headers={"Retry-After": "5"},
        )
    return JsonResponse({"status": "ok", "checks": checks})


@_only_get
def metrics_view(request):
    """Prometheus text format. Optional METRICS_TOKEN → `Authorization: Bearer <token>` required."""
    token = getattr(settings, "METRICS_TOKEN", "")
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return error_response(
                "not_authenticated",
                "Metrics require a bearer token.",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
    body, content_type = metrics.render()
    return HttpResponse(body, content_type=content_type)
