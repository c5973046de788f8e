"""The one application error type. Services raise these; one exception handler maps them to the
API envelope `{"error": {"code", "message", "details"}}` with the right HTTP status.
"""

from typing import Any


class ApplicationError(Exception):
    status_code = 400
    code = "error"
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, code: str | None = None, details: Any = None):
        self.message = str(message or self.default_message)
        if code:
            self.code = code
        self.details = details if details is not None else {}
        super().__init__(self.message)


class ValidationFailed(ApplicationError):
    status_code = 400
    code = "validation_error"
    default_message = "Invalid input."


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"
    default_message = "Not found."


class PermissionDenied(ApplicationError):
    status_code = 403
    code = "permission_denied"
    default_message = "You do not have permission to perform this action."


class Conflict(ApplicationError):
    status_code = 409
    code = "conflict"
    default_message = "The resource changed or already exists."


class RateLimited(ApplicationError):
    status_code = 429
    code = "rate_limited"
    default_message = "Too many requests."

    def __init__(self, message: str | None = None, *, retry_after: int = 60, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServiceUnavailable(ApplicationError):
    status_code = 503
    code = "service_unavailable"
    default_message = "A required service is unavailable; try again later."

    def __init__(self, message: str | None = None, *, retry_after: int | None = None, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after
