"""Configuration checks, in one place: what a process refuses to start with.

Two kinds, both owned here:

* **Variables the settings cannot be built without** in production (`required`): read by
  `config/settings.py` while it loads; a missing one stops the process at once with an
  `ImproperlyConfigured` naming it (SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL,
  AUDIT_HMAC_KEY).
* **Checks of a built configuration** (`startup_check`): each app registers the functions that say
  what is wrong with its own settings (config imports no app; the apps import this module, e.g.
  banking/checks.py: no sandbox and complete credentials in production, https Banesco URLs). A
  function returns `Problem`s and decides itself whether it applies (most apply to production
  only). They run

  - at the start-up of every process (web workers, verification and webhook workers, every
    `manage.py` command): `enforce()`, from `config.apps.StartupChecksConfig.ready`, the last
    installed app, so every app has registered by then; any problem is an `ImproperlyConfigured`
    listing them all;
  - in `manage.py check` / `check --deploy` as system-check errors with the problem's id.

  A problem whose id is in `SILENCED_SYSTEM_CHECKS` is skipped by both (the bench's production
  settings run the sandbox on purpose and silence `banking.E001`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def required(env, name: str) -> str:
    """Read a variable that production cannot run without; fail fast naming it."""
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DJANGO_ENV=production")
    return value


@dataclass(frozen=True)
class Problem:
    id: str  # "<app>.E<nnn>", as Django system checks are named
    message: str
    hint: str = ""


StartupCheck = Callable[[], Iterable[Problem]]
_registry: list[StartupCheck] = []


def startup_check(func: StartupCheck) -> StartupCheck:
    """Register `func` (no arguments, returns Problems) to run at start-up and in `manage.py check`."""
    if func not in _registry:
        _registry.append(func)
    return func


def registered() -> tuple[StartupCheck, ...]:
    return tuple(_registry)


def problems() -> list[Problem]:
    """Every registered check's problems with the current settings, silenced ids left out."""
    silenced = set(getattr(settings, "SILENCED_SYSTEM_CHECKS", ()))
    return [problem for func in _registry for problem in func() if problem.id not in silenced]


def enforce() -> None:
    """Refuse to start: ImproperlyConfigured listing every problem (nothing when there is none)."""
    found = problems()
    if found:
        raise ImproperlyConfigured("; ".join(f"{p.message} [{p.id}]" for p in found))


@checks.register(checks.Tags.security)
def startup_checks(app_configs=None, **kwargs):
    """The registered start-up checks as system checks (`manage.py check`, `check --deploy`)."""
    return [checks.Error(p.message, hint=p.hint or None, id=p.id) for p in problems()]
