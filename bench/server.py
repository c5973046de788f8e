"""Start and stop the gunicorn servers of the bench (the API and the floor, same config).

`serving="production"` (the default) runs gunicorn with the production config file,
`config/gunicorn.conf.py` (gthread workers × threads, keep-alive, max-requests), exactly as the
Dockerfile does; only the bind address and the log level are set here. `serving="sync"` is the
comparison: plain sync workers (one request per process at a time).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time

import requests

from bench.common import PYTHON, ROOT, free_port, log


class Gunicorn:
    """`gunicorn config.wsgi:application` on a free port with the given environment."""

    def __init__(
        self,
        *,
        name: str,
        env: dict,
        workers: int | None = None,
        serving: str = "production",
        threads: int | None = None,
        health_path: str = "/health/",
    ):
        self.name = name
        self.serving = serving
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(tempfile.gettempdir(), f"bench-{name}-{self.port}.log")
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        gunicorn = os.path.join(os.path.dirname(PYTHON), "gunicorn")
        env = dict(env)
        if serving == "production":
            env["GUNICORN_BIND"] = f"127.0.0.1:{self.port}"
            env["GUNICORN_LOG_LEVEL"] = "warning"
            if workers:
                env["WEB_CONCURRENCY"] = str(workers)
            if threads:
                env["GUNICORN_THREADS"] = str(threads)
            cmd = [gunicorn, "-c", "config/gunicorn.conf.py", "config.wsgi:application"]
        elif serving == "sync":
            cmd = [
                gunicorn,
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers or 5),
                "--worker-class",
                "sync",
                "--backlog",
                "2048",
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ]
        else:
            raise ValueError(f"serving must be production or sync, not {serving!r}")
        shape = f"{env.get('WEB_CONCURRENCY', 'default')} workers × {env.get('GUNICORN_THREADS', 'default')}"
        self.describe = (
            f"gunicorn -c config/gunicorn.conf.py (gthread, {shape} threads)"
            if serving == "production"
            else f"gunicorn {workers or 5} sync workers"
        )
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} server exited; see {self.log_path}:\n{self.tail()}")
            try:
                if requests.get(self.url + health_path, timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{name} server did not start; see {self.log_path}")
            time.sleep(0.2)
        log(f"{name} server: {self.describe} on {self.url} (log {self.log_path})")

    def tail(self, n: int = 3000) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                return fh.read()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
