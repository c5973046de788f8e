"""Typed errors of the banking layer (never carrying secrets or tokens)."""


class BankingError(Exception):
    """Base class. `retryable` says whether trying again later may help."""

    retryable = False

    def __init__(self, message: str, *, code: str = "", http_status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status


class ConfigurationError(BankingError):
    """The Banesco settings are unusable (missing credentials, bad URL...)."""


class TokenError(BankingError):
    """The token endpoint refused us. `code` is Keycloak's `error`, the message its description."""

    credentials = True


class TokenUnavailable(TokenError):
    """The token endpoint could not be reached or answered 5xx/429: try again later."""

    retryable = True
    credentials = False
