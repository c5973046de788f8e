"""A real HTTP receiver for the webhook tests: a ThreadingHTTPServer on a free port.

It verifies signatures the way README tells receivers to (a few lines of hmac/base64, not the
project's signing module), de-duplicates by `Webhook-Id`, and answers according to a script of
behaviours: "ok" (204), "500", "301", "timeout" (sleeps past the client's read timeout),
"close" (drops the connection without answering). When the script runs out it answers "ok".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verify(secret: str, headers, body: bytes) -> bool:
    """The receiver-side check from README.md."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['Webhook-Id']}.{headers['Webhook-Timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    fresh = abs(time.time() - int(headers["Webhook-Timestamp"])) <= 300
    return fresh and any(hmac.compare_digest(expected, s) for s in headers["Webhook-Signature"].split())


@dataclass
class Received:
    headers: dict
    body: bytes
    behaviour: str
    host: str
    at: float

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    script: list[str] = field(default_factory=list)
    hang_seconds: float = 2.0
    delay_seconds: float = 0.0
    requests: list[Received] = field(default_factory=list)
    processed_ids: list[str] = field(default_factory=list)  # after de-duplication by Webhook-Id
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks"

    def next_behaviour(self) -> str:
        with self.lock:
            return self.script.pop(0) if self.script else "ok"

    def record(self, item: Received) -> None:
        with self.lock:
            self.requests.append(item)
            msg_id = item.headers.get("Webhook-Id")
            if item.behaviour == "ok" and msg_id not in self.processed_ids:
                self.processed_ids.append(msg_id)

    def delivered(self) -> list[Received]:
        return [r for r in self.requests if r.behaviour == "ok"]


def start(receiver: Receiver) -> Receiver:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            behaviour = receiver.next_behaviour()
            receiver.record(
                Received(dict(self.headers), body, behaviour, self.headers.get("Host", ""), time.monotonic())
            )
            if receiver.delay_seconds:
                time.sleep(receiver.delay_seconds)
            if behaviour == "close":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if behaviour == "timeout":
                time.sleep(receiver.hang_seconds)
            code = {"ok": 204, "500": 500, "301": 301, "timeout": 204}[behaviour]
            self.send_response(code)
            if code == 301:
                self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/moved")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    receiver.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.server.daemon_threads = True
    threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
    return receiver
