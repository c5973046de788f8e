"""The simulator as a real HTTP server (stdlib ThreadingHTTPServer), one process, one state."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .app import handle
from .state import SandboxState


class _Handler(BaseHTTPRequestHandler):
    server_version = "BanescoSandbox/1.0"
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle + delayed ACK add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        state: SandboxState = self.server.state
        answer = handle(state, self.command, self.path, dict(self.headers.items()), body)
        if answer.hang:
            time.sleep(state.timeout_seconds)
        elif answer.delay:
            time.sleep(answer.delay)
        try:
            self.send_response(answer.status)
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): fine

    do_GET = _serve
    do_POST = _serve

    def log_message(self, format, *args):  # quiet; the command prints a summary line instead
        if self.server.verbose:
            super().log_message(format, *args)


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, state: SandboxState, *, verbose: bool = False):
        super().__init__((host, port), _Handler)
        self.state = state
        self.verbose = verbose

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


def start_in_thread(
    state: SandboxState | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> SandboxServer:
    server = SandboxServer(host, port, state or SandboxState())
    threading.Thread(target=server.serve_forever, name="banesco-sandbox", daemon=True).start()
    return server
