"""Settings, system checks and commands."""

import os
import subprocess
import sys
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from banking.checks import banesco_settings_check
from banking.conf import BanescoConfig, get_config
from tests.banking.sandbox_server import ROOT


def test_defaults_are_the_in_process_sandbox():
    config = get_config()
    assert config.environment == "sandbox" and config.uses_in_process_sandbox
    assert config.token_url.endswith("/auth/realms/realm-api-qa/protocol/openid-connect/token")
    assert config.problems() == []


def test_secret_not_in_repr():
    assert "sandbox-secret" not in repr(BanescoConfig())


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"client_id": "someone", "client_secret": ""}, "set together"),
        ({"environment": "qa", "api_base_url": "", "auth_base_url": ""}, "BANESCO_API_BASE_URL is missing"),
        ({"environment": "qa", "api_base_url": "http://x", "auth_base_url": "https://y"}, "not https"),
        ({"account_id": "123"}, "20-digit"),
        ({"grant_type": "client_credentials"}, "refuses"),
        ({"client_auth": "header"}, "BANESCO_CLIENT_AUTH"),
    ],
)
def test_half_configured_settings_warn(changes, fragment):
    raw = {k.upper(): v for k, v in changes.items()}
    with override_settings(BANESCO={**_current(), **raw}):
        warnings = banesco_settings_check()
    assert any(fragment in w.msg for w in warnings), [w.msg for w in warnings]


def _current():
    from django.conf import settings

    return dict(settings.BANESCO)


def _settings_load(**env_vars):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BANESCO_", "DJANGO_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_ENV": "production",
            "SECRET_KEY": "x" * 60,
            "ALLOWED_HOSTS": "example.org",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "AUDIT_HMAC_KEY": "k",
            **env_vars,
        }
    )
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_production_refuses_sandbox_and_missing_credentials():
    r = _settings_load()
    assert r.returncode != 0 and "must not use the Banesco sandbox" in r.stderr
    r = _settings_load(BANESCO_ENVIRONMENT="qa")
    assert r.returncode != 0 and "BANESCO_CLIENT_ID" in r.stderr and "[banking.E002]" in r.stderr
    ok = _settings_load(
        BANESCO_ENVIRONMENT="qa",
        BANESCO_CLIENT_ID="id",
        BANESCO_CLIENT_SECRET="s",
        BANESCO_ACCOUNT_ID="01340000000000000001",
        BANESCO_AUTH_BASE_URL="https://sso.example.org",
        BANESCO_API_BASE_URL="https://api.example.org",
    )
    assert ok.returncode == 0, ok.stderr


@pytest.mark.django_db
def test_verify_pending_dry_run_and_config_error():
    out = StringIO()
    call_command("verify_pending", "--dry-run", stdout=out)
    assert "due for verification" in out.getvalue()
    with override_settings(BANESCO={**_current(), "ACCOUNT_ID": "1"}), pytest.raises(CommandError):
        call_command("verify_pending")


@pytest.mark.django_db(transaction=True)  # worker threads use their own connections
def test_verify_pending_runs_a_sweep(make_claim):
    from banking.sandbox.state import default_state

    default_state().reset()
    claim = make_claim(reference="012345678901", customer_phone="04141234567", payer_bank_code="0102")
    out = StringIO()
    with override_settings(BANESCO={**_current(), "CACHE_PREFIX": f"vp-{uuid.uuid4().hex[:6]}"}):
        call_command("verify_pending", "--workers", "2", "--no-progress", stdout=out)
    claim.refresh_from_db()
    assert claim.status == "COMPLETED"
    assert "checked=1 completed=1" in out.getvalue()


def test_banesco_check_prints_round_trip_without_secrets():
    from banking.sandbox.state import default_state

    default_state().reset()
    out = StringIO()
    call_command("banesco_check", stdout=out)
    text = out.getvalue()
    assert "token:       OK" in text and "answer:      found" in text
    assert "sandbox-secret" not in text and "584141234567" not in text


@pytest.mark.parametrize(
    ("args", "mode", "sent"),
    [
        (["--mobile"], "mobile", '"phoneNum"'),
        (["--transfer", "--reference", "987654321012"], "transfer", '"referenceNumber": "987654321012"'),
        (
            ["--interbank", "--reference", "000444555666", "--bank-id", "0105"],
            "interbank",
            '"bankId": "0105"',
        ),
    ],
)
def test_banesco_check_one_flag_per_mode(args, mode, sent):
    from banking.sandbox.state import default_state

    default_state().reset()
    out = StringIO()
    call_command("banesco_check", *args, stdout=out)
    text = out.getvalue()
    assert f"mode:        {mode}" in text and sent in text and "answer:      found" in text


def test_banesco_check_reports_a_configuration_fault():
    from banking.sandbox.state import default_state

    default_state().reset()
    settings_banesco = {**_current(), "LOOKUP_PATH": "/financial-account/transactions"}
    with override_settings(BANESCO=settings_banesco), pytest.raises(CommandError) as err:
        call_command("banesco_check", "--mobile", stdout=StringIO())
    assert "configuration fault" in str(err.value) and "BANESCO_LOOKUP_PATH" in str(err.value)
