"""Production settings fail fast on missing secrets and use Argon2 (checked in a subprocess with a
clean environment, exactly as the server would start)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x" * 60 + "-prod-like-secret-key-for-tests",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "ALLOWED_HOSTS": "pagos.example.org",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "AUDIT_HMAC_KEY": "audit-key-for-tests",
    "BANESCO_ENVIRONMENT": "qa",
    "BANESCO_CLIENT_ID": "client",
    "BANESCO_CLIENT_SECRET": "secret",
    "BANESCO_ACCOUNT_ID": "01340000000000000001",
    "BANESCO_API_BASE_URL": "https://api.example.invalid",
    "BANESCO_AUTH_BASE_URL": "https://auth.example.invalid",
}
PROBE = "import django; django.setup(); from django.conf import settings; print(settings.PASSWORD_HASHERS[0])"


def _run(env_overrides: dict, code: str = PROBE):
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE", "SECRET", "BANESCO"))
    }
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(ROOT)})
    env.update(env_overrides)
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_env_starts_and_uses_argon2():
    result = _run(PROD_ENV)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "REDIS_URL"])
def test_production_refuses_to_start_without(missing):
    result = _run({**PROD_ENV, missing: None})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} must be set" in result.stderr


def test_production_refuses_sqlite():
    result = _run({**PROD_ENV, "DATABASE_URL": "sqlite:////tmp/x.sqlite3"})
    assert result.returncode != 0
    assert "DATABASE_URL must be a PostgreSQL URL" in result.stderr


def test_argon2_is_available_and_secure_defaults():
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "from django.contrib.auth.hashers import get_hasher;"
        "h = get_hasher(); assert h.algorithm == 'argon2', h.algorithm; h.encode('pw', h.salt());"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS >= 31536000, s.SIMPLE_JWT['ACCESS_TOKEN_LIFETIME'].total_seconds() <= 900)"
    )
    result = _run(PROD_ENV, code)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["False", "True", "True", "True", "True", "True"]
