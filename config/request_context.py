"""Per-request context (request id, client IP, user) in contextvars.

The request-id middleware sets these at the start of each request and resets them at the end;
the audit service and the log processors read them, so deep code need not pass `request` around.
Outside a request (commands, sweeps) they are empty unless a command binds its own.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
client_ip_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)
user_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("user_id", default=None)


def get_request_id() -> str | None:
    return request_id_var.get()


def get_client_ip() -> str | None:
    return client_ip_var.get()


def get_user_id() -> str | None:
    return user_id_var.get()


def set_user_id(user_id) -> None:
    user_id_var.set(str(user_id) if user_id else None)


@contextmanager
def bind(*, request_id: str | None = None, client_ip: str | None = None, user_id: str | None = None):
    """Bind context for a block (used by middleware, commands and tests)."""
    tokens = [
        request_id_var.set(request_id),
        client_ip_var.set(client_ip),
        user_id_var.set(str(user_id) if user_id else None),
    ]
    try:
        yield
    finally:
        for var, token in zip((request_id_var, client_ip_var, user_id_var), tokens, strict=True):
            var.reset(token)
