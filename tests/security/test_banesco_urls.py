"""Finding 13: one Banesco URL validation, applied at start-up of every process. Before: web
workers verified claims over plain-http Banesco URLs that `verify_pending` refused as "not https"."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from banking.conf import BanescoConfig

ROOT = Path(__file__).resolve().parents[2]

QA = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DJANGO_ENV": "local",
    "BANESCO_ENVIRONMENT": "qa",
    "BANESCO_CLIENT_ID": "cid",
    "BANESCO_CLIENT_SECRET": "secret",
    "BANESCO_ACCOUNT_ID": "01340000000000000001",
    "BANESCO_AUTH_BASE_URL": "https://sso.example.org",
    "BANESCO_API_BASE_URL": "https://api.example.org",
}


def _start(code: str, **env_vars):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BANESCO_", "DJANGO_"))}
    env.update({**QA, **env_vars})
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)


WEB = "from config.wsgi import application"  # what each gunicorn worker runs
COMMAND = (
    "from django.core.management import execute_from_command_line; "
    "execute_from_command_line(['manage.py', 'check'])"
)


@pytest.mark.parametrize("entry_point", [WEB, COMMAND], ids=["web worker", "manage.py command"])
@pytest.mark.parametrize("variable", ["BANESCO_API_BASE_URL", "BANESCO_AUTH_BASE_URL"])
def test_every_process_refuses_to_start_with_a_plain_http_banesco_url(entry_point, variable):
    refused = _start(entry_point, **{variable: "http://banesco.example.org"})
    assert refused.returncode != 0
    assert "is not https" in refused.stderr and "ImproperlyConfigured" in refused.stderr


def test_https_urls_start():
    started = _start(WEB)
    assert started.returncode == 0, started.stderr[-2000:]


def test_the_sandbox_may_use_plain_http():
    started = _start(WEB, BANESCO_ENVIRONMENT="sandbox", BANESCO_API_BASE_URL="http://127.0.0.1:9")
    assert started.returncode == 0, started.stderr[-2000:]


def test_verify_pending_and_start_up_share_the_rule():
    config = BanescoConfig(environment="production", api_base_url="http://x", auth_base_url="https://y")
    assert config.url_problems() == ["production: Banesco URL 'http://x' is not https"]
    assert set(config.url_problems()) <= set(config.problems())
