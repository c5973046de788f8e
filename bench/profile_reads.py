"""Where a read request's time goes: the API's retrieve, status and list vs the floor, in-process.

    .venv/bin/python -m bench.profile_reads [--requests 3000] [--size 10000] [--cprofile status]

Load-independent (no server, no load generator, no sockets): one process with the bench's
production settings (bench/settings.py, DJANGO_ENV=production, Redis cache, persistent
connections) on its own scratch database (`BENCH_DB_NAME`, default bench_profile) and Redis
database (`BENCH_REDIS_DB`, default 12), 10 k seeded claims. Each request is a WSGI call into
Django's handler, exactly as gunicorn makes it (environ in, iterable out); the API handler has the
production middleware and URLs, the floor handler none and bench/urls.py (bench/floor.py views).
The four kinds of request are interleaved so that any background noise hits them alike.

The list is the bench's list scenario (TO_REVIEW, the last 30 days, page 1 of 20).
Prints, per kind of request: the minimum and the median wall time over `--requests` requests,
SQL statements and Redis commands per request; then, for the API requests, the median time spent
in each layer (timed by thin wrappers around the functions that make the layer, exclusive of the
layers inside it) and its share of the request. `--cprofile KIND` also prints cProfile's top
functions for that kind. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import random
import statistics
import sys
import time
from collections import defaultdict

os.environ.setdefault("BENCH_DB_NAME", "bench_profile")
os.environ.setdefault("BENCH_REDIS_DB", "12")

from bench.common import CLIENT_EMAIL, DB_NAME, production_env

CLOCK = ["cpu"]
KINDS = ("api retrieve", "api status", "api list", "floor retrieve", "floor status", "floor list")

# Layer labels, and the function whose inclusive time is the layer's (wrapped by _install). A
# layer's own time is its inclusive time minus the layers inside it (_layer_table).
DISPATCH = "DRF dispatch (Request, negotiation, finalize)"
JWT = "authentication: JWT decode + checks"
AUTH_USER = "authentication: user + permissions (authcache)"
GENERATION = "  of which: auth generation row (SQL)"
MGET = "  of which: Redis MGET (user, permissions)"
PERMS = "permissions (IsAuthenticated, ClaimPermission)"
QUERY = "query: the claim (ORM + SQL + instance)"
METRICS = "HTTP metrics (prometheus)"
LAYERS = [
    ("URL resolving", "django.core.handlers.base:BaseHandler.resolve_request"),
    (DISPATCH, "rest_framework.views:APIView.dispatch"),
    (JWT, "accounts.authentication:JWTAuthentication.get_validated_token"),
    (AUTH_USER, "accounts.authentication:JWTAuthentication.get_user"),
    (GENERATION, "accounts.authcache:current_generation"),
    (MGET, "django.core.cache:cache.get_many"),
    (PERMS, "rest_framework.views:APIView.check_permissions"),
    ("throttles", "rest_framework.views:APIView.check_throttles"),
    (QUERY, "transactions.selectors:claim_get_for_user"),
    (QUERY, "transactions.selectors:claim_status_for_user"),
    ("serializer", "rest_framework.serializers:Serializer.data"),
    ("JSON rendering", "rest_framework.renderers:JSONRenderer.render"),
    (METRICS, "config.metrics:observe_request"),
    ("DB connection health check (SELECT 1)", "django.db.backends.postgresql.base:DatabaseWrapper.is_usable"),
]


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=3000, help="requests of each kind (default 3000)")
    p.add_argument("--size", type=int, default=10_000, help="seeded claims (default 10 000)")
    p.add_argument("--cprofile", choices=[k.replace(" ", "-") for k in KINDS], action="append", default=[])
    p.add_argument("--no-layers", action="store_true", help="only the totals (no layer wrappers)")
    p.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="layer times as this thread's CPU time (default; load-independent) or wall time",
    )
    p.add_argument("--keep", action="store_true", help="keep the scratch database")
    return p.parse_args()


# --- timing wrappers ------------------------------------------------------------------------
class Clock:
    """Inclusive seconds per label for the current request."""

    def __init__(self):
        self.current: dict[str, float] = defaultdict(float)
        self.enabled = False
        # perf_counter: wall time (includes waiting for PostgreSQL/Redis and for the CPU);
        # thread_time: this thread's CPU time (what the layer costs in Python, load-independent).
        self.timer = time.perf_counter

    def wrap(self, label, func):
        @functools.wraps(func)
        def timed(*args, **kwargs):
            if not self.enabled:
                return func(*args, **kwargs)
            timer = self.timer
            t0 = timer()
            try:
                return func(*args, **kwargs)
            finally:
                self.current[label] += timer() - t0

        return timed


def _resolve(target: str):
    module_name, _, qualname = target.partition(":")
    obj = __import__(module_name, fromlist=["_"])
    owner = None
    for part in qualname.split("."):
        owner, obj = obj, getattr(obj, part)
    return owner, qualname.split(".")[-1], obj


def _install(clock: Clock, middleware_classes: list[type]) -> list[tuple[str, str | None]]:
    """Wrap the layer functions; return [(label, parent)] in display order."""
    from django.core.handlers.base import BaseHandler
    from rest_framework.views import APIView

    import config.middleware as edge
    from accounts.authentication import JWTAuthentication

    tree: list[tuple[str, str | None]] = []

    def patch(owner, name, label, *, prop=False):
        if prop:
            original = owner.__dict__[name]
            setattr(owner, name, property(clock.wrap(label, original.fget)))
        else:
            setattr(owner, name, clock.wrap(label, getattr(owner, name)))

    for label, target in LAYERS:
        if target == "django.core.cache:cache.get_many":
            from django.core.cache import caches

            backend = caches["default"]  # this thread's backend instance (the one authcache uses)
            backend.get_many = clock.wrap(label, backend.get_many)
            continue
        try:
            owner, name, _ = _resolve(target)
        except AttributeError:  # e.g. a selector this version does not have
            continue
        patch(owner, name, label, prop=target.endswith("Serializer.data"))
    # Internal nodes that are not rows of their own.
    patch(BaseHandler, "_get_response", "inner")
    patch(APIView, "perform_authentication", "auth")
    patch(JWTAuthentication, "get_user", "authuser")  # the row label above wraps this one again
    from transactions.api.views import TransactionViewSet

    patch(TransactionViewSet, "retrieve", "view")
    patch(TransactionViewSet, "claim_status", "view")
    # The access log line: the middleware's module-level structlog logger.
    real_logger = edge.logger

    class TimedLogger:
        def __getattr__(self, name):
            return clock.wrap("log", getattr(real_logger, name))

    edge.logger = TimedLogger()
    # Each middleware's __call__ (inclusive of everything inside it).
    for cls in middleware_classes:
        cls.__call__ = clock.wrap(cls.__name__, cls.__call__)
        tree.append((cls.__name__, None))
    return tree


# --- requests -------------------------------------------------------------------------------
def _environ(path: str, token: str | None) -> dict:
    path, _, query = path.partition("?")
    env = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_ACCEPT": "*/*",
        "HTTP_USER_AGENT": "wrk",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    if token:
        env["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return env


def _call(handler, env) -> tuple[int, bytes]:
    status_holder = []

    def start_response(status, headers, exc_info=None):
        status_holder.append(status)

    body = b"".join(handler(env, start_response))
    return int(status_holder[0].split()[0]), body


class Counters:
    def __init__(self):
        self.sql = 0
        self.redis = 0


def _count_sql_and_redis(counters: Counters):
    import redis.connection
    from django.db import connection

    def sql(execute, sql, params, many, context):
        counters.sql += 1
        return execute(sql, params, many, context)

    original = redis.connection.AbstractConnection.send_packed_command

    def send(self, command, check_health=True):
        counters.redis += 1
        return original(self, command, check_health)

    redis.connection.AbstractConnection.send_packed_command = send
    return connection.execute_wrapper(sql)


def main() -> int:
    args = _parse()
    env = production_env(
        extra={"JWT_ACCESS_MINUTES": "240", "BENCH_FLOOR_USER_EMAIL": CLIENT_EMAIL, "LOG_LEVEL": "INFO"}
    )
    os.environ.update(env)
    # The access log goes where gunicorn sends it (a file), not to this terminal.
    log_path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "bench-profile-reads.log")
    real_stderr = sys.stderr
    sys.stderr = open(log_path, "w")  # noqa: SIM115 - the process's log stream until exit
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.test.utils import override_settings
    from django.utils.module_loading import import_string

    from bench import runner, seed

    def say(msg):
        print(f"[bench] {msg}", file=real_stderr, flush=True)

    say(f"database {DB_NAME}: create, migrate, seed {args.size} claims")
    seed.recreate_database(DB_NAME)
    try:
        call_command("migrate", verbosity=0, interactive=False)
        runner._flush_redis()
        users = seed.ensure_users()
        seed.seed_claims(
            dsn=runner._pg_dsn(), start=0, stop=args.size, owner_ids=[str(u.pk) for u in users["owners"]]
        )
        runner._vacuum()
        return _measure(args, users, say, WSGIHandler, override_settings, import_string, runner)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            seed.drop_database(DB_NAME)


def _floor_handler(WSGIHandler):
    """Django's WSGI handler on the floor's URLs (bench/urls.py), without touching ROOT_URLCONF
    (a per-request settings override would clear the URL caches every time)."""
    from django.core.handlers.wsgi import WSGIRequest

    class FloorRequest(WSGIRequest):
        urlconf = "bench.urls"

    class FloorHandler(WSGIHandler):
        request_class = FloorRequest

    return FloorHandler()


def _measure(args, users, say, WSGIHandler, override_settings, import_string, runner) -> int:
    from django.conf import settings
    from django.db import connection

    token = runner._token(users["reconciler"])
    classes = [import_string(path) for path in settings.MIDDLEWARE]
    clock = Clock()
    clock.timer = time.thread_time if args.clock == "cpu" else time.perf_counter
    CLOCK[0] = args.clock
    tree = [] if args.no_layers else _install(clock, classes)  # before the handlers bind methods
    api = WSGIHandler()
    with override_settings(MIDDLEWARE=[]):
        floor = _floor_handler(WSGIHandler)
    counters = Counters()
    rng = random.Random(7)
    ids = [f"seed-{rng.randrange(args.size):09d}" for _ in range(args.requests)]
    paths = {
        "retrieve": [f"/api/v1/transactions/{i}/" for i in ids],
        "status": [f"/api/v1/transactions/{i}/status/" for i in ids],
        "list": [_list_page_one()],  # the bench's list scenario: TO_REVIEW, last 30 days, page 1
    }
    kinds = {
        "api retrieve": (api, "retrieve", token),
        "api status": (api, "status", token),
        "api list": (api, "list", token),
        "floor retrieve": (floor, "retrieve", None),
        "floor status": (floor, "status", None),
        "floor list": (floor, "list", None),
    }
    times: dict[str, list[float]] = {k: [] for k in KINDS}
    walls: dict[str, list[float]] = {k: [] for k in KINDS}
    pg_cpu: dict[str, list[float]] = {k: [] for k in KINDS}
    layers: dict[str, dict[str, list[float]]] = {k: defaultdict(list) for k in KINDS}
    per_request = {k: [0, 0] for k in KINDS}
    profiles = {}
    wanted = {k.replace("-", " ") for k in args.cprofile}

    def one(kind, n, *, measure=True, profile=None):
        handler, scenario, tok = kinds[kind]
        env = _environ(paths[scenario][n % len(paths[scenario])], tok)
        clock.current = defaultdict(float)
        clock.enabled = measure and not args.no_layers
        sql0, redis0 = counters.sql, counters.redis
        pid = _backend_pid(connection)
        pg0 = _cpu_ns(pid)
        w0, c0 = time.perf_counter(), time.thread_time()
        if profile is not None:
            profile.enable()
        status, body = _call(handler, env)
        if profile is not None:
            profile.disable()
        wall, cpu = time.perf_counter() - w0, time.thread_time() - c0
        pg = (_cpu_ns(pid) - pg0) / 1e9 if pid and pid == _backend_pid(connection) else None
        clock.enabled = False
        if status != 200:
            raise SystemExit(f"{kind} {env['PATH_INFO']} answered {status}: {body[:300]!r}")
        if measure:
            times[kind].append(cpu if clock.timer is time.thread_time else wall)
            walls[kind].append(wall)
            if pg is not None:
                pg_cpu[kind].append(pg)
            per_request[kind][0] += counters.sql - sql0
            per_request[kind][1] += counters.redis - redis0
            for label, seconds in clock.current.items():
                layers[kind][label].append(seconds)

    with _count_sql_and_redis(counters):
        say("warm-up")
        for n in range(200):
            for kind in KINDS:
                one(kind, n, measure=False)
        say(f"{args.requests} requests of each kind, interleaved")
        order = list(KINDS)
        for n in range(args.requests):
            rng.shuffle(order)
            for kind in order:
                one(kind, n)
        if wanted:
            import cProfile

            for kind in wanted:
                profiles[kind] = cProfile.Profile()
                for n in range(min(args.requests, 2000)):
                    one(kind, n, measure=False, profile=profiles[kind])

    _report(args, times, walls, pg_cpu, layers, per_request, tree, profiles)
    return 0


def _list_page_one() -> str:
    import datetime as dt

    from config.clock import caracas_today

    today = caracas_today()
    since = (today - dt.timedelta(days=30)).isoformat()
    return f"/api/v1/transactions/?status=TO_REVIEW&from_date={since}&to_date={today.isoformat()}&size=20"


def _backend_pid(connection) -> int | None:
    raw = connection.connection
    return raw.info.backend_pid if raw is not None and not raw.closed else None


def _cpu_ns(pid: int | None) -> int:
    """Nanoseconds on a CPU of process `pid` so far (first field of /proc/PID/schedstat)."""
    if not pid:
        return 0
    try:
        with open(f"/proc/{pid}/schedstat") as fh:
            return int(fh.read().split()[0])
    except OSError:
        return 0


def _med(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _report(args, times, walls, pg_cpu, layers, per_request, tree, profiles) -> None:
    n = args.requests
    print(f"READS IN-PROCESS ({n} requests of each kind, interleaved; µs per request; {args.size} claims)")
    print(
        "  python cpu = this thread's CPU time; pg cpu = the PostgreSQL backend's CPU time "
        "(/proc/PID/schedstat); wall = elapsed; ratio = floor ÷ API (cpu: python + pg)"
    )
    print(
        f"{'request':<16} {'py cpu med':>10} {'pg cpu mean':>11} {'wall min':>9} {'wall med':>9} "
        f"{'SQL/req':>8} {'Redis/req':>10} {'ratio cpu':>9} {'ratio wall min':>14}"
    )

    def cpu_of(kind):
        return _med(times[kind]) + (statistics.fmean(pg_cpu[kind]) if pg_cpu[kind] else 0.0)

    for kind in KINDS:
        scenario = kind.split()[1]
        floor = f"floor {scenario}"
        print(
            f"{kind:<16} {_med(times[kind]) * 1e6:>10.0f} "
            f"{(statistics.fmean(pg_cpu[kind]) if pg_cpu[kind] else 0) * 1e6:>11.0f} "
            f"{min(walls[kind]) * 1e6:>9.0f} {_med(walls[kind]) * 1e6:>9.0f} "
            f"{per_request[kind][0] / n:>8.2f} "
            f"{per_request[kind][1] / n:>10.2f} {cpu_of(floor) / cpu_of(kind):>9.0%} "
            f"{min(walls[floor]) / min(walls[kind]):>14.0%}"
        )
    if not args.no_layers:
        for kind in ("api retrieve", "api status", "api list", "floor retrieve"):
            _layer_table(kind, times[kind], layers[kind], tree)
    for kind, profile in profiles.items():
        import pstats

        print(f"\ncProfile: {kind} (top 30 by cumulative time)")
        pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(30)


def _layer_table(kind, totals, samples, tree) -> None:
    """Median inclusive time per label → exclusive time per row, share of the median request."""
    med = {label: _med(values + [0.0] * (len(totals) - len(values))) for label, values in samples.items()}
    total = _med(totals)
    rows: list[tuple[str, float]] = []
    # Middleware: each one's own time = its inclusive time minus the next one's (chain order);
    # the innermost one's inner part is Django's _get_response ("inner").
    mw = [label for label, _ in tree if label in med]
    for i, label in enumerate(mw):
        inner = med.get(mw[i + 1], 0.0) if i + 1 < len(mw) else med.get("inner", 0.0)
        own = med[label] - inner
        if label == "RequestContextMiddleware":
            own -= med.get("log", 0.0) + med.get(METRICS, 0.0)
        rows.append((f"middleware: {label}", own))
    children = {
        "auth": [JWT, "authuser"],
        "authuser": [],
        "inner": ["URL resolving", DISPATCH, "JSON rendering"],
        "view": [QUERY, "serializer"],
    }
    dispatch_own = med.get(DISPATCH, 0.0) - sum(med.get(x, 0.0) for x in ("auth", PERMS, "throttles", "view"))
    inner_own = med.get("inner", 0.0) - sum(med.get(x, 0.0) for x in children["inner"])
    view_own = med.get("view", 0.0) - sum(med.get(x, 0.0) for x in children["view"])
    auth_own = med.get("auth", 0.0) - sum(med.get(x, 0.0) for x in children["auth"])
    user_label = AUTH_USER
    user_incl = med.get(user_label, 0.0)
    gen = med.get(GENERATION, 0.0)
    mget = med.get(MGET, 0.0)
    rows += [
        ("access log line (structlog)", med.get("log", 0.0)),
        (METRICS, med.get(METRICS, 0.0)),
        ("URL resolving", med.get("URL resolving", 0.0)),
        (DISPATCH, dispatch_own),
        ("authentication: DRF/simplejwt glue", auth_own),
        (JWT, med.get(JWT, 0.0)),
        (user_label, user_incl),
        (GENERATION, gen),
        (MGET, mget),
        (PERMS, med.get(PERMS, 0.0)),
        ("throttles", med.get("throttles", 0.0)),
        (QUERY, med.get(QUERY, 0.0)),
        ("serializer", med.get("serializer", 0.0)),
        ("view glue (get_object, Response)", view_own),
        ("JSON rendering", med.get("JSON rendering", 0.0)),
        ("Django _get_response glue (response.render …)", inner_own),
        ("DB connection health check (SELECT 1)", med.get("DB connection health check (SELECT 1)", 0.0)),
    ]
    accounted = sum(v for label, v in rows if not label.startswith("  of which"))
    rows.append(("rest: WSGI handler, request/response objects, signals", total - accounted))
    clock = "Python CPU time" if CLOCK[0] == "cpu" else "wall time"
    print(f"\nLAYERS: {kind} (median µs of {clock} per request; share of its median, {total * 1e6:.0f} µs)")
    for label, seconds in rows:
        if label.startswith("middleware") and seconds * 1e6 < 0.5:
            continue
        print(f"  {label:<58} {seconds * 1e6:>7.0f} {seconds / total if total else 0:>6.1%}")


if __name__ == "__main__":
    raise SystemExit(main())
