"""Fixtures for the security suite: fresh rate-limit counters, a private Redis the test may stop,
pause or kill without touching the shared one on 6379 (other suites use it)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test.utils import override_settings

from config.ratelimit import local_limiter
from tests.audit.conftest import make_events  # noqa: F401  (audit events made by record())
from tests.transactions.conftest import api_payload  # noqa: F401  (a valid create body)


def _clear(cache):
    if hasattr(cache, "delete_pattern"):
        with contextlib.suppress(Exception):  # a stopped private Redis
            cache.delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    _clear(caches["ratelimit"])
    local_limiter.clear()
    yield
    _clear(caches["ratelimit"])
    local_limiter.clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test's own on a free port: start, pause (SIGSTOP), resume, stop."""

    def __init__(self):
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def cache_config(self, alias: str) -> dict:
        return {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": self.url,
            "KEY_PREFIX": f"am-security:{alias}",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }

    def pause(self):
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def private_redis():
    """Both cache aliases (`default`, `ratelimit`) on a private Redis for the test's duration."""
    redis = PrivateRedis()
    caches_config = {**settings.CACHES, "default": redis.cache_config("default")}
    caches_config["ratelimit"] = redis.cache_config("ratelimit")
    try:
        with override_settings(CACHES=caches_config):
            yield redis
    finally:
        redis.stop()
