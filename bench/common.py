"""Shared bits of the bench runner: names, the production-like environment, small helpers."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_ADMIN_DSN = os.environ.get("BENCH_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_DB_NAME", "bench_areamedica")
# Redis database number of the bench (the suite and the other benches use other numbers).
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "11"))
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"

STATIC_ROOT = os.path.join(os.environ.get("TMPDIR", "/tmp"), "bench-areamedica-static")

CLIENT_EMAIL = "bench-client@example.test"
RECONCILER_EMAIL = "bench-reconciler@example.test"


def db_url(name: str = DB_NAME) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    return f"{base}/{name}".replace("postgresql://", "postgres://", 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(*, settings: str = "bench.settings", extra: dict | None = None) -> dict:
    """DJANGO_ENV=production with local values for what production requires.

    The Banesco variables are placeholders that satisfy production's fail-fast checks; the
    sandbox is swapped in by bench/settings.py. Rate limits are off so that the load generator
    measures our code, not django-ratelimit's 429s; the global bank look-up budget is raised for
    the API scenarios (the in-process sandbox answers instantly; the sweep scenario uses the
    configured default budget).
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings,
        "DJANGO_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH",
        "DATABASE_URL": db_url(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "REDIS_URL": REDIS_URL,
        "AUDIT_HMAC_KEY": "bench-only-audit-key",
        "SECURE_SSL_REDIRECT": "false",
        "BANESCO_ENVIRONMENT": "qa",
        "BANESCO_CLIENT_ID": "bench-placeholder",
        "BANESCO_CLIENT_SECRET": "bench-placeholder",
        "BANESCO_ACCOUNT_ID": "01340000000000000001",
        "BANESCO_API_BASE_URL": "https://banesco.invalid",
        "BANESCO_AUTH_BASE_URL": "https://banesco.invalid",
        "BANESCO_CACHE_PREFIX": "bench",
        "BANESCO_LOOKUPS_PER_SECOND": "100000",
        "RATELIMIT_ENABLE": "false",
        "CLAIM_CREATE_RATE": "1000000/s",
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "INFO"),
        "PYTHONUNBUFFERED": "1",
        "BENCH_STATIC_ROOT": STATIC_ROOT,
    }
    env.pop("BENCH_BANESCO_SANDBOX_URL", None)
    env.update(extra or {})
    return env


def configure_standalone_env(db_name: str) -> None:
    """Environment of the single-purpose bench scripts (in-process, no gunicorn): test settings
    on their own PostgreSQL database, no rate limits, local caches."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DJANGO_ENV"] = "test"
    os.environ["DATABASE_URL"] = db_url(db_name)
    os.environ["DEBUG"] = "false"
    os.environ["LOG_LEVEL"] = "ERROR"
    os.environ["RATELIMIT_ENABLE"] = "false"
    os.environ["REDIS_URL"] = ""


def ensure_database(db_name: str, *, fresh: bool) -> bool:
    """Create `db_name` (dropping it first when `fresh`); True when it was (re)created."""
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name]).fetchone()
        if exists and not fresh:
            return False
        if exists:
            conn.execute(f'DROP DATABASE "{db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db_name}"')
    return True


def standalone_django(db_name: str, *, keep: bool) -> bool:
    """What every single-purpose bench script starts with: its environment, its own database
    (reused with `--keep`), Django set up and the database migrated. True when it was created."""
    configure_standalone_env(db_name)
    created = ensure_database(db_name, fresh=not keep)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return created


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)
