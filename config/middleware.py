"""The generic HTTP edge: request id, request context, one access-log line and HTTP metrics per
request (RequestContextMiddleware, first in MIDDLEWARE so every response carries `X-Request-ID`);
chunked request bodies (ChunkedBodyMiddleware); `Cache-Control: no-store` on the API
(ApiNoStoreMiddleware); the admin's middleware skipped on the API; the Content-Security-Policy.
"""

from __future__ import annotations

import io
import re
import time
import uuid

import structlog
from csp.constants import HEADER as CSP_HEADER
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.handlers.wsgi import LimitedStream
from django.http import JsonResponse

from config import metrics, request_context
from config.exceptions import DATABASE_ERRORS, database_unavailable_response, error_response

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
        # user_id is (re)bound by accounts.authentication once DRF authenticates; resetting both
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


class ChunkedBodyMiddleware:
    """A body sent with `Transfer-Encoding: chunked` (no Content-Length) is read, never dropped.

    Django reads `Content-Length` bytes of the body, so without this a chunked claim looked empty
    ("every field required"). When the server has decoded the chunks and marks the input as
    terminated (`wsgi.input_terminated`, as gunicorn does), the body is read up to
    DATA_UPLOAD_MAX_MEMORY_SIZE (more → 413) and handed to Django with its length; a server that
    cannot say where the body ends gets 411 Length Required, never a silently empty body.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower() and not meta.get("CONTENT_LENGTH"):
            refused = self._read_chunked(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    @staticmethod
    def _read_chunked(request):
        meta = request.META
        stream = meta.get("wsgi.input")
        if stream is None or not meta.get("wsgi.input_terminated"):
            return error_response(
                "length_required",
                "Send a Content-Length header (chunked bodies are not accepted here).",
                status_code=411,
            )
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(body) > limit:
            return error_response(
                "payload_too_large", f"The body is larger than {limit} bytes.", status_code=413
            )
        meta["CONTENT_LENGTH"] = str(len(body))
        request._stream = LimitedStream(io.BytesIO(body), len(body))
        return None


class ApiNoStoreMiddleware:
    """`Cache-Control: no-store` on every API response (claims carry names, phones and national
    ids; auth answers carry tokens): no browser, proxy or CDN keeps a copy. A view that set its
    own Cache-Control keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/") and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response


# --- admin-only middleware: not run for /api/ -------------------------------------------------
# Sessions, the session user and messages serve the admin (and any server-rendered page). The API
# authenticates with bearer JWTs (DRF, accounts.authentication) and never uses sessions or messages:
# running these for /api/ only cost time. CSRF keeps Django's own middleware (`check --deploy`
# requires it by name; DRF's API views are CSRF-exempt anyway).
API_PREFIX = "/api/"


class _NotForApi:
    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        return super().__call__(request)


class AdminSessionMiddleware(_NotForApi, SessionMiddleware):
    pass


class AdminAuthenticationMiddleware(_NotForApi, AuthenticationMiddleware):
    pass


class AdminMessageMiddleware(_NotForApi, MessageMiddleware):
    pass


# --- Content-Security-Policy ------------------------------------------------------------------
# A JSON answer is no document: nothing in it may load, run or be framed. The API's JSON responses
# carry the strictest policy (OWASP's for REST APIs), one fixed string, instead of the pages'
# policy that django-csp builds for every response (~0.1 ms of a ~2 ms API read; docs/
# PERFORMANCE.md). HTML under /api/ (the Swagger page) and every other response keep django-csp's.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"


def _is_json(response) -> bool:
    media_type = response.get("Content-Type", "").partition(";")[0].strip()
    return media_type.endswith("/json") or media_type.endswith("+json")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def process_response(self, request, response):
        if request.path_info.startswith(API_PREFIX) and _is_json(response):
            if CSP_HEADER not in response and not getattr(response, "_csp_exempt", False):
                response[CSP_HEADER] = API_CONTENT_SECURITY_POLICY
            return response
        return super().process_response(request, response)
