"""Helpers to run `manage.py banesco_sandbox` as a real HTTP server on a free port (tests, bench)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SandboxProcess:
    def __init__(self, *, latency_ms: int = 0, flavour: str = "qa", timeout_seconds: float = 2.0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_ENV": "test"}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "banesco_sandbox",
                "--port",
                str(self.port),
                "--flavour",
                flavour,
                "--latency-ms",
                str(latency_ms),
                "--timeout-seconds",
                str(timeout_seconds),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("sandbox exited: " + self.proc.stderr.read().decode())
            try:
                self.counters()
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("sandbox did not start")

    def _post(self, action: str, payload) -> dict:
        r = requests.post(f"{self.url}/__sandbox__/{action}", json=payload, timeout=10)
        r.raise_for_status()
        return r.json()

    def counters(self) -> dict:
        r = requests.get(f"{self.url}/__sandbox__/counters", timeout=5)
        r.raise_for_status()
        return r.json()

    def requests(self) -> list[dict]:
        """The `transaction` blocks the sandbox received, oldest first."""
        r = requests.get(f"{self.url}/__sandbox__/requests", timeout=5)
        r.raise_for_status()
        return r.json()

    def reset(self, *, seed_demo: bool = True) -> dict:
        return self._post("reset", {"seed_demo": seed_demo})

    def add_payments(self, payments: list[dict]) -> dict:
        return self._post("payments", payments)

    def set(self, **switches) -> dict:
        return self._post("faults", switches)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
