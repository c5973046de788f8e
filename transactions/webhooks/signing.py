"""The Standard Webhooks signature scheme (https://www.standardwebhooks.com/).

Headers: `Webhook-Id` (the event id), `Webhook-Timestamp` (Unix seconds) and
`Webhook-Signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, the key being the
base64-decoded part of the secret after `whsec_`. During a secret rotation the header carries one
signature per valid secret, separated by spaces; a receiver accepts the message if any matches.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """The message is not signed by any of the given secrets, or is outside the replay window."""


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def endpoint_secrets(endpoint, *, now: dt.datetime | None = None) -> list[str]:
    """The secrets that sign an endpoint's messages: its current one, plus the previous one
    while a rotation's overlap lasts."""
    now = now or dt.datetime.now(dt.UTC)
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires and expires > now:
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign_headers(secrets_: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers, one signature per secret."""
    return {
        "Webhook-Id": msg_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": " ".join(signature(s, msg_id, timestamp, body) for s in secrets_),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> str:
    """Check a received message; return its `Webhook-Id`. Raises SignatureError.

    `headers` must be case-insensitive (an `email.message.Message`, a Django `request.headers`...).
    """
    msg_id = headers.get("Webhook-Id") or ""
    stamp = headers.get("Webhook-Timestamp") or ""
    try:
        timestamp = int(stamp)
    except ValueError:
        raise SignatureError("missing or invalid Webhook-Timestamp") from None
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise SignatureError("timestamp outside the replay window")
    expected = signature(secret, msg_id, timestamp, body)
    for candidate in (headers.get("Webhook-Signature") or "").split():
        if hmac.compare_digest(candidate, expected):
            return msg_id
    raise SignatureError("no matching signature")
