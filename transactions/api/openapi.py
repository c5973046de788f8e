"""OpenAPI helpers for the transactions API: the error envelope and reusable examples.

The envelope component is config.openapi's; the examples here are specific to claims.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from config.openapi import ErrorEnvelopeSerializer


def error_response(description: str, code: str, message: str, details=None) -> OpenApiResponse:
    return OpenApiResponse(
        response=ErrorEnvelopeSerializer,
        description=description,
        examples=[
            OpenApiExample(
                code,
                value={"error": {"code": code, "message": message, "details": details or {}}},
                response_only=True,
            )
        ],
    )


BAD_REQUEST = error_response(
    "Invalid input",
    "validation_error",
    "Invalid input.",
    {"fields": {"customer": {"phone": ["Enter a Venezuelan mobile number such as 04141234567."]}}},
)
UNAUTHORIZED = error_response(
    "Missing or invalid token", "not_authenticated", "Authentication credentials were not provided."
)
FORBIDDEN = error_response("Not allowed for this role", "permission_denied", "You do not have permission.")
NOT_FOUND = error_response("No such claim (or not yours)", "not_found", "Payment claim not found.")
CONFLICT = error_response(
    "Conflict",
    "idempotency_conflict",
    "A payment claim with this transaction_id already exists with different data.",
    {"fields": ["amount"]},
)
RATE_LIMITED = error_response("Too many requests; see Retry-After", "rate_limited", "Too many requests.")

READ_ERRORS = {401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND}
LIST_ERRORS = {400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND}
