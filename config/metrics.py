"""Prometheus metrics: ONE registry for the whole project (prometheus-client).

Why prometheus-client and not django-prometheus: we want a small, explicit set of series labelled by
URL *route* (bounded cardinality) and the freedom for each app to define its own domain metrics
(verifications, bank latency, sweep progress) on the same registry — without django-prometheus'
model/DB/cache monkeypatching, which multiplies series and adds per-query overhead.

Other apps define their metrics at import time of their own module:

    from config.metrics import counter, histogram
    BANK_CALLS = counter("banesco_calls_total", "Banesco API calls.", ["endpoint", "outcome"])

Multi-process (gunicorn with several workers): set PROMETHEUS_MULTIPROC_DIR to an empty, writable
directory before the workers start; each process writes its samples there and `/metrics` merges
them (config/gunicorn.conf.py marks dead workers). Without it, each process exposes its own values.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess

REGISTRY = CollectorRegistry(auto_describe=True)

# Seconds; tuned for an API whose slow path is a Banesco look-up (up to ~10 s with retries).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def multiprocess_enabled() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def counter(name: str, documentation: str, labelnames: Sequence[str] = ()) -> Counter:
    return Counter(name, documentation, labelnames=tuple(labelnames), registry=REGISTRY)


def histogram(
    name: str,
    documentation: str,
    labelnames: Sequence[str] = (),
    buckets: Sequence[float] = LATENCY_BUCKETS,
) -> Histogram:
    return Histogram(name, documentation, labelnames=tuple(labelnames), buckets=buckets, registry=REGISTRY)


def gauge(
    name: str, documentation: str, labelnames: Sequence[str] = (), multiprocess_mode: str = "livesum"
) -> Gauge:
    return Gauge(
        name,
        documentation,
        labelnames=tuple(labelnames),
        registry=REGISTRY,
        multiprocess_mode=multiprocess_mode,
    )


HTTP_REQUESTS = counter(
    "http_requests_total", "HTTP requests by route, method and status.", ["route", "method", "status"]
)
HTTP_LATENCY = histogram(
    "http_request_duration_seconds",
    "HTTP request latency by route, method and status.",
    ["route", "method", "status"],
)


def observe_request(*, route: str, method: str, status: int, seconds: float) -> None:
    labels = {"route": route, "method": method, "status": str(status)}
    HTTP_REQUESTS.labels(**labels).inc()
    HTTP_LATENCY.labels(**labels).observe(seconds)


def render() -> tuple[bytes, str]:
    """The exposition text (merged across processes in multi-process mode) and its content type."""
    if multiprocess_enabled():
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    """gunicorn `child_exit` hook helper (multi-process mode only)."""
    if multiprocess_enabled():
        _multiprocess.mark_process_dead(pid)
