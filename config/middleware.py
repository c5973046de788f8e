"""Request id, request context, one access-log line and HTTP metrics per request.

Placed first in MIDDLEWARE so every response (redirects, errors, 404s) carries `X-Request-ID`.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from django.conf import settings
from django.http import JsonResponse

from config import metrics, request_context
from config.exceptions import DATABASE_ERRORS, database_unavailable_response

logger = structlog.get_logger("config.request")

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
UNMATCHED_ROUTE = "<unmatched>"
HEALTH_PATH = "/health/"


def sane_request_id(value: str | None) -> str:
    """The client's X-Request-ID when it is ≤ 128 chars of [A-Za-z0-9._-], else a new uuid4 hex."""
    if value and SANE_REQUEST_ID.match(value):
        return value
    return uuid.uuid4().hex


def client_ip(request) -> str:
    """REMOTE_ADDR, or the address TRUSTED_PROXY_COUNT hops from the right of X-Forwarded-For.

    Also django-ratelimit's RATELIMIT_IP_META_KEY, so rate limits and audit agree on the IP.
    """
    cached = getattr(request, "client_ip", None)
    if cached:
        return cached
    remote = request.META.get("REMOTE_ADDR", "") or ""
    hops = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if hops > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return remote


def route_of(request) -> str:
    match = getattr(request, "resolver_match", None)
    route = getattr(match, "route", None) if match is not None else None
    return "/" + route if route is not None else UNMATCHED_ROUTE


def _user_id(request) -> str | None:
    user_id = request_context.get_user_id()
    if user_id:
        return user_id
    user = getattr(request, "user", None)  # session users (admin); DRF also sets request.user
    try:
        if user is not None and user.is_authenticated:
            return str(user.pk)
    except DATABASE_ERRORS:  # lazy session user while the database is down
        return None
    return None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == HEALTH_PATH and request.method in {"GET", "HEAD"}:
            # Liveness answers before host validation and the SSL redirect, so container and
            # load-balancer probes by IP work; it touches nothing and reveals nothing.
            response = JsonResponse({"status": "ok"})
            response["Cache-Control"] = "no-store"
            response[REQUEST_ID_HEADER] = sane_request_id(request.META.get("HTTP_X_REQUEST_ID"))
            return response
        request_id = sane_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        request.client_ip = client_ip(request)
        started = time.perf_counter()
        # user_id is (re)bound by config.authentication once DRF authenticates; resetting both
        # keys afterwards keeps one request's user out of the next request's log lines.
        log_tokens = structlog.contextvars.bind_contextvars(request_id=request_id, user_id=None)
        try:
            with request_context.bind(request_id=request_id, client_ip=request.client_ip):
                response, status, route, duration = self._handle(request, started)
        finally:
            structlog.contextvars.reset_contextvars(**log_tokens)
        metrics.observe_request(route=route, method=request.method, status=status, seconds=duration)
        response[REQUEST_ID_HEADER] = request_id
        return response

    def _handle(self, request, started):
        response = self.get_response(request)
        duration = time.perf_counter() - started
        user_id = _user_id(request)
        route = route_of(request)
        status = response.status_code
        log = logger.error if status >= 500 else logger.info
        log(
            "request",
            user_id=user_id,
            method=request.method,
            route=route,
            path=request.path,
            status=status,
            duration_ms=round(duration * 1000, 2),
            client_ip=request.client_ip,
        )
        return response, status, route, duration

    def process_exception(self, request, exception):
        """A database outage in a non-DRF view → 503 envelope instead of a 500 page."""
        if isinstance(exception, DATABASE_ERRORS):
            logger.error("database_unavailable", error=type(exception).__name__, exc_info=exception)
            return database_unavailable_response()
        return None
