"""One error envelope for every API error: {"error": {"code", "message", "details"}}.

* `api_exception_handler` is DRF's EXCEPTION_HANDLER: DRF exceptions (validation → 400 with field
  details, 401 with WWW-Authenticate, 403, 404, 405, 429 with Retry-After), our ApplicationError
  family (config/errors.py) with its own status, django-ratelimit's `Ratelimited` → 429, database
  outages → 503 `database_unavailable`, anything else → 500 with no stack trace in the body (logged
  with one).
* `handler400/403/404/500` are Django's URLconf handlers: JSON envelope for API-like paths, Django's
  default pages elsewhere (admin).
* `ratelimited_view` is django-ratelimit's RATELIMIT_VIEW for non-DRF views → 429 + Retry-After.
"""

from __future__ import annotations

import math
from typing import Any

import structlog
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.views import defaults
from django_ratelimit.exceptions import Ratelimited
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from config.errors import ApplicationError, RateLimited, ServiceUnavailable

logger = structlog.get_logger(__name__)

DEFAULT_RETRY_AFTER = 60
DATABASE_ERRORS = (OperationalError, InterfaceError)
DATABASE_UNAVAILABLE_MESSAGE = "The database is unavailable; try again later."

# Paths that always answer JSON (the admin keeps Django's HTML pages).
JSON_PATH_PREFIXES = ("/api/", "/health", "/ready", "/metrics")

# DRF exception class → our envelope code (when the exception's own code is too generic).
_DRF_CODES: dict[type, str] = {
    drf_exceptions.ValidationError: "validation_error",
    drf_exceptions.ParseError: "parse_error",
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.PermissionDenied: "permission_denied",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.MethodNotAllowed: "method_not_allowed",
    drf_exceptions.NotAcceptable: "not_acceptable",
    drf_exceptions.UnsupportedMediaType: "unsupported_media_type",
    drf_exceptions.Throttled: "rate_limited",
}


class RequestTooLarge(drf_exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def error_body(code: str, message: str, details: Any = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details if details is not None else {}}}


def error_response(
    code: str, message: str, *, status_code: int, details: Any = None, headers: dict | None = None
) -> JsonResponse:
    """A plain Django JSON response with the envelope (for non-DRF views and middleware)."""
    response = JsonResponse(error_body(code, message, details), status=status_code)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def database_unavailable_response() -> JsonResponse:
    return error_response(
        "database_unavailable",
        DATABASE_UNAVAILABLE_MESSAGE,
        status_code=503,
        headers={"Retry-After": "5"},
    )


def _first_message(detail: Any) -> str | None:
    if isinstance(detail, dict):
        for value in detail.values():
            found = _first_message(value)
            if found:
                return found
        return None
    if isinstance(detail, (list, tuple)):
        for value in detail:
            found = _first_message(value)
            if found:
                return found
        return None
    return str(detail) if detail is not None else None


def _plain(detail: Any) -> Any:
    """ErrorDetail trees → plain JSON types."""
    if isinstance(detail, dict):
        return {str(k): _plain(v) for k, v in detail.items()}
    if isinstance(detail, (list, tuple)):
        return [_plain(v) for v in detail]
    return str(detail)


def _drf_code(exc: drf_exceptions.APIException) -> str:
    for klass in type(exc).__mro__:
        if klass in _DRF_CODES:
            return _DRF_CODES[klass]
    if isinstance(exc, drf_exceptions.AuthenticationFailed):
        codes = exc.get_codes()
        if isinstance(codes, str) and codes not in {"authentication_failed", "error"}:
            return codes
        if isinstance(codes, dict) and isinstance(codes.get("code"), str):
            return codes["code"]  # simplejwt: {"detail", "code": "token_not_valid", "messages"}
        return "authentication_failed"
    return getattr(exc, "default_code", None) or "error"


def _from_drf(exc: drf_exceptions.APIException) -> tuple[str, str, Any, dict]:
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(math.ceil(exc.wait))
    code = _drf_code(exc)
    detail = exc.detail
    if isinstance(exc, drf_exceptions.ValidationError):
        if isinstance(detail, dict):
            details = {"fields": _plain(detail)}
        else:
            details = {"non_field_errors": _plain(detail if isinstance(detail, list) else [detail])}
        return code, "Invalid input.", details, headers
    if isinstance(detail, dict):
        # simplejwt's {"detail": ..., "code": ..., "messages": [...]}
        message = str(detail.get("detail") or _first_message(detail) or exc.default_detail)
        details = {k: _plain(v) for k, v in detail.items() if k not in {"detail", "code"}}
        return code, message, details, headers
    if isinstance(detail, list):
        return code, _first_message(detail) or str(exc.default_detail), {"errors": _plain(detail)}, headers
    return code, str(detail), {}, headers


def _retry_after(exc) -> int | None:
    value = getattr(exc, "retry_after", None)
    return None if value is None else max(1, math.ceil(value))


def api_exception_handler(exc, context):
    """DRF EXCEPTION_HANDLER: every error becomes the envelope with the right status."""
    if isinstance(exc, Ratelimited):
        exc = RateLimited(retry_after=getattr(exc, "retry_after", DEFAULT_RETRY_AFTER))
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    elif isinstance(exc, (RequestDataTooBig, TooManyFieldsSent)):
        exc = RequestTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        logger.warning("suspicious_request", error=type(exc).__name__)
        exc = drf_exceptions.ParseError("Bad request.", code="bad_request")
    elif isinstance(exc, DataError):
        # Input the database cannot store (NUL bytes, out-of-range numbers) that validation missed:
        # the statement failed and its transaction rolls back, so this is the client's 400.
        logger.warning("database_rejected_input", error=str(exc).splitlines()[0][:200])
        exc = drf_exceptions.ValidationError(["The database rejected a value in this request."])
    elif isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )

    headers: dict[str, str] = {}
    if isinstance(exc, ApplicationError):
        status_code, code, message, details = exc.status_code, exc.code, exc.message, exc.details
        if isinstance(exc, (RateLimited, ServiceUnavailable)) and _retry_after(exc):
            headers["Retry-After"] = str(_retry_after(exc))
    elif isinstance(exc, drf_exceptions.APIException):
        status_code = exc.status_code
        code, message, details, headers = _from_drf(exc)
    elif isinstance(exc, DATABASE_ERRORS):
        logger.error("database_unavailable", error=type(exc).__name__, exc_info=exc)
        set_rollback()
        return Response(
            error_body("database_unavailable", DATABASE_UNAVAILABLE_MESSAGE),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    else:
        view = context.get("view") if context else None
        logger.error("unhandled_exception", view=type(view).__name__ if view else None, exc_info=exc)
        set_rollback()
        return Response(
            error_body("internal_error", "An unexpected error occurred; it has been logged."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    set_rollback()
    return Response(error_body(code, message, details), status=status_code, headers=headers)


# --- Django-level handlers (URLconf handler400/403/404/500) ------------------------------------


def wants_json(request) -> bool:
    path = getattr(request, "path", "") or ""
    if path.startswith(JSON_PATH_PREFIXES):
        return True
    accept = request.META.get("HTTP_ACCEPT", "") if hasattr(request, "META") else ""
    return "application/json" in accept and "text/html" not in accept


def handler400(request, exception=None):
    if wants_json(request):
        return error_response("bad_request", "Bad request.", status_code=400)
    return defaults.bad_request(request, exception)


def handler403(request, exception=None):
    if wants_json(request):
        return error_response(
            "permission_denied", "You do not have permission to perform this action.", status_code=403
        )
    return defaults.permission_denied(request, exception)


def handler404(request, exception=None):
    if wants_json(request):
        return error_response("not_found", "Not found.", status_code=404)
    return defaults.page_not_found(request, exception)


def handler500(request):
    if wants_json(request):
        return error_response(
            "internal_error", "An unexpected error occurred; it has been logged.", status_code=500
        )
    return defaults.server_error(request)


def ratelimited_view(request, exception):
    """django-ratelimit RATELIMIT_VIEW (non-DRF views): 429 + Retry-After, never 403."""
    retry_after = max(1, math.ceil(getattr(exception, "retry_after", None) or DEFAULT_RETRY_AFTER))
    return error_response(
        "rate_limited",
        "Too many requests.",
        status_code=429,
        details={"retry_after": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


# --- the manager UI's profile (/api/manager/v1/) ------------------------------------------------


def manager_exception_handler(exc, context):
    """The envelope, in the shapes the manager UI reads: validation errors are 422 (its forms
    treat 422 as "show the server's message"), and the message is also at the top level
    (`{"message": ..., "error": {...}}`: its login and server-side fetches read `message`)."""
    response = api_exception_handler(exc, context)
    if response is None:
        return None
    error = response.data.get("error") if isinstance(response.data, dict) else None
    if not isinstance(error, dict):
        return response
    if response.status_code == status.HTTP_400_BAD_REQUEST and error.get("code") == "validation_error":
        response.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
        # Its create form shows only `error.message` (a toast), never `details`: name the reasons
        # there too, or the cashier cannot tell which field to correct.
        error["message"] = _message_with_field_errors(error.get("message", ""), error.get("details"))
    response.data = {"message": error.get("message", ""), **response.data}
    return response


def _message_with_field_errors(message: str, details) -> str:
    fields = details.get("fields") if isinstance(details, dict) else None
    if not isinstance(fields, dict) or not fields:
        return message
    reasons = []
    for field, errors in fields.items():
        first = errors[0] if isinstance(errors, list) and errors else errors
        reasons.append(f"{field}: {first}")
    return f"{message.rstrip('.')}. {' · '.join(reasons)}"


class ManagerProfileErrorsMixin:
    """For the manager profile's views: errors through `manager_exception_handler`."""

    def get_exception_handler(self):
        return manager_exception_handler
