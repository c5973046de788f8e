"""OpenAPI pieces shared by every app: the error envelope component and ready-made responses.

from config.openapi import ERROR_RESPONSES, error_responses

@extend_schema(responses={201: ClaimSerializer, **error_responses(400, 401, 403, 409, 429)})
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `validation_error`.")
    message = serializers.CharField(help_text="Human-readable message.")
    details = serializers.DictField(
        help_text="Extra context: `fields` (field → messages) for validation errors, check names, etc."
    )


class ErrorEnvelopeSerializer(serializers.Serializer):
    """The one error envelope: `{"error": {"code", "message", "details"}}`."""

    error = ErrorBodySerializer()

    class Meta:
        ref_name = "ErrorEnvelope"


def _example(code: str, message: str, details: dict | None = None) -> OpenApiExample:
    return OpenApiExample(
        code,
        value={"error": {"code": code, "message": message, "details": details or {}}},
        response_only=True,
    )


_DESCRIPTIONS: dict[int, tuple[str, OpenApiExample]] = {
    400: (
        "Invalid input",
        _example("validation_error", "Invalid input.", {"fields": {"email": ["This field is required."]}}),
    ),
    401: (
        "Missing, invalid or expired credentials (`WWW-Authenticate: Bearer`)",
        _example("not_authenticated", "Authentication credentials were not provided."),
    ),
    403: ("Authenticated but not allowed", _example("permission_denied", "You do not have permission.")),
    404: ("Not found", _example("not_found", "Not found.")),
    405: ("Method not allowed", _example("method_not_allowed", 'Method "PUT" not allowed.')),
    409: ("Conflict with the current state", _example("conflict", "The resource changed or already exists.")),
    429: (
        "Rate limited; see the `Retry-After` header (seconds)",
        _example("rate_limited", "Too many requests."),
    ),
    500: ("Unexpected error (logged)", _example("internal_error", "An unexpected error occurred.")),
    503: (
        "A dependency (database, bank) is unavailable; may carry `Retry-After`",
        _example("service_unavailable", "A required service is unavailable; try again later."),
    ),
}

ERROR_RESPONSES: dict[int, OpenApiResponse] = {
    status: OpenApiResponse(response=ErrorEnvelopeSerializer, description=desc, examples=[example])
    for status, (desc, example) in _DESCRIPTIONS.items()
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The envelope responses for the given statuses (default: the common 400/401/403/404/429/500)."""
    chosen = statuses or (400, 401, 403, 404, 429, 500)
    return {s: ERROR_RESPONSES[s] for s in chosen}


# --- which schema holds which profile -----------------------------------------------------------
MANAGER_PROFILE_PREFIX = "/api/manager/"


def exclude_manager_profile(endpoints):
    """PREPROCESSING_HOOK of the main schema: everything but the manager UI's profile."""
    return [e for e in endpoints if not e[0].startswith(MANAGER_PROFILE_PREFIX)]


def only_manager_profile(endpoints):
    """PREPROCESSING_HOOK of /api/manager/schema/: the manager UI's profile only."""
    return [e for e in endpoints if e[0].startswith(MANAGER_PROFILE_PREFIX)]


# --- the manager UI's profile: the envelope plus a top-level `message`; validation is 422 -------


class ManagerErrorSerializer(serializers.Serializer):
    """The envelope with its message repeated at the top level (the manager UI reads `message`)."""

    message = serializers.CharField(help_text="Same as `error.message`.")
    error = ErrorBodySerializer()

    class Meta:
        ref_name = "ManagerError"


_MANAGER_DESCRIPTIONS = {
    **{status: desc for status, (desc, _example) in _DESCRIPTIONS.items()},
    400: "The body is not JSON (`parse_error`)",
    422: "Invalid input (`validation_error`, details: `fields`)",
}


def manager_error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The manager profile's error responses for the given statuses."""
    return {
        s: OpenApiResponse(response=ManagerErrorSerializer, description=_MANAGER_DESCRIPTIONS[s])
        for s in statuses
    }
