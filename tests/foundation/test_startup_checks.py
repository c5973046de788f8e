"""config/checks.py owns the configuration checks: each registered check fires, at start-up of a
process (ImproperlyConfigured) and in `manage.py check --deploy` (an error with its id)."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from config import checks
from tests.foundation.test_settings_production import PROD_ENV, _run

PRODUCTION_BANESCO = {
    "ENVIRONMENT": "qa",
    "CLIENT_ID": "client",
    "CLIENT_SECRET": "secret",
    "ACCOUNT_ID": "01340000000000000001",
    "API_BASE_URL": "https://api.example.invalid",
    "AUTH_BASE_URL": "https://auth.example.invalid",
}
# One broken setting per check: (id, production?, settings changes)
CASES = [
    ("banking.E001", True, {"BANESCO": {**PRODUCTION_BANESCO, "ENVIRONMENT": "sandbox"}}),
    ("banking.E002", True, {"BANESCO": {**PRODUCTION_BANESCO, "CLIENT_SECRET": ""}}),
    ("banking.E003", True, {"BANESCO": {**PRODUCTION_BANESCO, "ACCOUNT_ID": "0134"}}),
    ("banking.E004", True, {"BANESCO": {**PRODUCTION_BANESCO, "API_BASE_URL": ""}}),
    ("banking.E005", True, {"BANESCO": {**PRODUCTION_BANESCO, "AUTH_BASE_URL": ""}}),
    (
        "banking.E006",
        False,
        {"BANESCO": {**PRODUCTION_BANESCO, "API_BASE_URL": "http://api.example.invalid"}},
    ),
    ("transactions.E001", False, {"MANAGER_REFRESH_WAIT_SECONDS": 11}),
]


def _ids():
    return sorted(p.id for p in checks.problems())


def test_a_complete_production_configuration_has_no_problem():
    with override_settings(IS_PRODUCTION=True, BANESCO=PRODUCTION_BANESCO):
        assert _ids() == []
        call_command("check", "--deploy", "--tag", "security")  # no SystemCheckError


@pytest.mark.parametrize(("problem_id", "production", "changes"), CASES, ids=[c[0] for c in CASES])
def test_each_check_fires(problem_id, production, changes):
    with override_settings(IS_PRODUCTION=True, **{"BANESCO": PRODUCTION_BANESCO, **changes}):
        assert _ids() == [problem_id]
        with pytest.raises(SystemCheckError, match=problem_id.replace(".", r"\.")):
            call_command("check", "--deploy")
        with pytest.raises(Exception, match=problem_id) as refused:
            checks.enforce()
        assert type(refused.value).__name__ == "ImproperlyConfigured"
    if not production:
        with override_settings(IS_PRODUCTION=False, **{"BANESCO": PRODUCTION_BANESCO, **changes}):
            assert _ids() == [problem_id]  # applies outside production too
    else:
        with override_settings(IS_PRODUCTION=False, **changes):
            assert problem_id not in _ids()  # a production-only rule


def test_a_silenced_check_is_skipped():
    broken = {**PRODUCTION_BANESCO, "ENVIRONMENT": "sandbox"}
    with override_settings(IS_PRODUCTION=True, BANESCO=broken, SILENCED_SYSTEM_CHECKS=["banking.E001"]):
        assert _ids() == []
        checks.enforce()


def test_the_checks_run_after_every_app_registered():
    assert settings.INSTALLED_APPS[-1] == "config.apps.StartupChecksConfig"
    names = {f"{func.__module__}.{func.__name__}" for func in checks.registered()}
    assert {
        "banking.checks.banesco_startup_problems",
        "transactions.checks.manager_refresh_wait_problems",
    } <= names


@pytest.mark.parametrize(
    ("variable", "value", "problem_id"),
    [
        ("BANESCO_ENVIRONMENT", "sandbox", "banking.E001"),
        ("BANESCO_CLIENT_SECRET", None, "banking.E002"),
        ("BANESCO_AUTH_BASE_URL", None, "banking.E005"),
        ("MANAGER_REFRESH_WAIT_SECONDS", "60", "transactions.E001"),
    ],
)
def test_a_production_process_refuses_to_start(variable, value, problem_id):
    result = _run({**PROD_ENV, variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and f"[{problem_id}]" in result.stderr, result.stderr[
        -1500:
    ]
