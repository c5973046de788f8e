"""Banesco's configuration checks.

* `banesco_startup_problems` is registered with the project's start-up checks (config/checks.py):
  every process refuses to start with a Banesco URL that is not https outside the sandbox, and a
  production process also without credentials, account or URLs, or with the sandbox. The same
  problems are `manage.py check --deploy` errors (ids `banking.E00n`).
* `banesco_settings_check` (`manage.py check`, tag `banking`) warns about the rest of a
  half-configured block: a client id without its secret, a bad account id, a refused grant type...
"""

from django.conf import settings
from django.core.checks import Warning, register

from config.checks import Problem, startup_check

from .conf import ACCOUNT_ID_RE, get_config

HINT = 'See the `# --- banking` block of config/settings.py and README "Banesco".'


@startup_check
def banesco_startup_problems() -> list[Problem]:
    config = get_config()
    found = [
        Problem("banking.E006", f"{problem} (BANESCO_API_BASE_URL / BANESCO_AUTH_BASE_URL)", HINT)
        for problem in config.url_problems()
    ]
    if not getattr(settings, "IS_PRODUCTION", False):
        return found
    needs = "Production needs"
    production_rules = (  # (id, holds, what is wrong otherwise)
        ("banking.E001", config.environment != "sandbox", "Production must not use the Banesco sandbox."),
        (
            "banking.E002",
            config.client_id and config.client_secret,
            f"{needs} BANESCO_CLIENT_ID and _SECRET.",
        ),
        (
            "banking.E003",
            ACCOUNT_ID_RE.match(config.account_id or ""),
            f"{needs} BANESCO_ACCOUNT_ID (20 digits).",
        ),
        ("banking.E004", config.api_base_url, f"{needs} BANESCO_API_BASE_URL."),
        (
            "banking.E005",
            config.token_url_override or config.auth_base_url,
            f"{needs} BANESCO_AUTH_BASE_URL or _TOKEN_URL.",
        ),
    )
    found += [
        Problem(problem_id, message, HINT) for problem_id, holds, message in production_rules if not holds
    ]
    return found


@register("banking")
def banesco_settings_check(app_configs=None, **kwargs):
    config = get_config()
    return [
        Warning(problem, hint=HINT, id=f"banking.W{n:03d}")
        for n, problem in enumerate(config.problems(), start=1)
    ]
