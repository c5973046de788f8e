"""gunicorn settings (used by the Dockerfile and docker-compose): `gunicorn -c config/gunicorn.conf.py
config.wsgi:application`. Every value can be overridden by environment variables."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 8)))
# 5 workers × 1 thread, chosen by `python -m bench.serving --rounds 2` on 2 cores (docs/PERFORMANCE.md,
# "Serving shape, measured in alternating rounds"): with a second thread per worker the two share
# one GIL and a request's time depends on its neighbour's (mixed-load list p99 166-169 ms against
# 122-127 ms with one thread; creates/s 94 %). One thread per worker is as fast as sync workers
# (105 % of their creates/s) and keeps gthread's timeouts and graceful shutdown. The cost: a slow
# request (the admin's live bank search, a manager refresh waiting ≤ 3 s for the verification
# worker) holds a whole worker meanwhile; GUNICORN_THREADS=2 trades tail latency for that.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread"
# No bank call is made by an API request any more (the verification worker does them); the
# admin's live bank search still can take ~10 s with retries: room, but not forever.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "45"))
graceful_timeout = 30
# A gthread worker accepts connections up to `worker_connections` (gunicorn's default 1000) and
# queues them behind its busy threads; at full CPU that spread the latency unevenly (create p99 3-5x
# its p50, reads' p99 ~300 ms in the mixed bench). Accepting only as many as it has threads, and
# closing after each response (the reverse proxy in front keeps the clients' connections), lets a
# free worker take the next request, as sync workers do: create p99 1.8x p50, reads' p99 116-160 ms.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "0"))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", str(threads)))
# The app is loaded once in the master and forked (config/wsgi.py closes any connection opened
# while loading). Without it, each recycled worker (max_requests) booted Django for ~0.7 s while
# the others took its share; with `worker_connections` = threads that showed as p99 1.5-2.6 s in
# the bench's read scenarios (docs/PERFORMANCE.md). New code therefore needs a restart, not HUP.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() != "false"
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None  # one structured line per request comes from config.middleware
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108


def child_exit(server, worker):
    """Prometheus multi-process mode: drop a dead worker's live gauges."""
    from config.metrics import mark_process_dead

    mark_process_dead(worker.pid)
