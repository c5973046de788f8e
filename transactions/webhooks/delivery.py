"""One webhook POST: to the address `urlsafety` checked, no redirects, no proxies, bounded time.

urllib3 is used directly (it is requests' transport) because it lets us connect to a given IP
address while sending the URL's host name as `Host`, TLS SNI and the certificate name to verify.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import certifi
import urllib3
from django.conf import settings
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from transactions.webhooks import urlsafety

USER_AGENT = "AreaMedica-Webhooks/1.0"
BODY_SNIPPET_BYTES = 200


@dataclass(frozen=True)
class Result:
    status_code: int | None
    duration_ms: int
    error: str = ""
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _pool(target: urlsafety.Target, timeout: urllib3.Timeout):
    common = {"host": target.address, "port": target.port, "timeout": timeout, "retries": False, "maxsize": 1}
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            **common,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=settings.WEBHOOKS.get("CA_BUNDLE") or certifi.where(),
        )
    return urllib3.HTTPConnectionPool(**common)


def post(*, url: str, body: bytes, headers: dict[str, str]) -> Result:
    """POST `body`; never raises for network trouble (the Result says what happened)."""
    conf = settings.WEBHOOKS
    started, started_at = time.monotonic(), dt.datetime.now(dt.UTC)

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    def result(code: int | None, error: str = "") -> Result:
        return Result(code, elapsed(), error, started_at)

    try:
        target = urlsafety.resolve(url)
    except urlsafety.UnsafeURL as exc:
        return result(None, f"refused: {exc}")
    timeout = urllib3.Timeout(connect=conf["CONNECT_TIMEOUT"], read=conf["READ_TIMEOUT"])
    request_headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **headers,
    }
    try:
        with _pool(target, timeout) as pool:
            response = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers=request_headers,
                redirect=False,
                retries=False,
                assert_same_host=False,
                preload_content=False,
            )
            try:
                snippet = response.read(BODY_SNIPPET_BYTES, decode_content=False)
            finally:
                response.close()  # the rest of the body is not read: the connection is dropped
    except NewConnectionError:  # (a subclass of urllib3's ConnectTimeoutError: test it first)
        return result(None, "connection failed")
    except Urllib3Timeout:
        return result(None, "timeout")
    except (HTTPError, OSError) as exc:
        return result(None, f"connection error: {type(exc).__name__}")
    code = response.status
    if 200 <= code < 300:
        return result(code)
    if 300 <= code < 400:
        return result(code, f"HTTP {code}: redirect not followed")
    text = snippet.decode("utf-8", "replace").strip()
    return result(code, f"HTTP {code}" + (f": {text}" if text else ""))
