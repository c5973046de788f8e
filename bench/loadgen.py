"""The HTTP load generator: wrk (a separate C process) driven by the Lua scripts in bench/wrk/."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

WRK_DIR = Path(__file__).resolve().parent / "wrk"


class LoadGenError(RuntimeError):
    pass


@dataclass
class LoadResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # non-2xx answers + socket errors + timeouts
    detail: dict

    @classmethod
    def from_wrk(cls, data: dict) -> LoadResult:
        seconds = data["duration_us"] / 1e6
        errors = data["status"] + data["connect"] + data["read"] + data["write"] + data["timeout"]
        return cls(
            requests=data["requests"],
            seconds=seconds,
            rps=data["requests"] / seconds if seconds else 0.0,
            p50_ms=data["p50_us"] / 1000,
            p99_ms=data["p99_us"] / 1000,
            max_ms=data["max_us"] / 1000,
            errors=errors,
            detail=data,
        )


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    *, url: str, script: str, args: list[str], duration: float, connections: int, threads: int = 2
) -> LoadResult:
    """Run wrk for `duration` seconds at `connections` concurrent connections; parse its summary."""
    cmd = [
        "wrk",
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "30s",
        "-s",
        str(WRK_DIR / script),
        url,
        "--",
        *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 120)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise LoadGenError(f"wrk failed ({proc.returncode}): {proc.stdout[-1500:]} {proc.stderr[-1500:]}")
    result = LoadResult.from_wrk(json.loads(line[len("WRK_JSON ") :]))
    if proc.stderr.strip():
        result.detail["stderr"] = proc.stderr.strip()[-1500:]
    return result
