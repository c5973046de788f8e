"""Banesco configuration as one typed, immutable object (read from `settings.BANESCO`)."""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass

from django.conf import settings

ENVIRONMENTS = ("sandbox", "qa", "production")
GRANT_TYPES = ("password", "client_credentials")
CLIENT_AUTH_STYLES = ("basic", "body")
ACCOUNT_ID_RE = re.compile(r"^\d{20}$")
# The one place for Banesco's per-environment defaults (DESIGN.md section 4).
PER_ENVIRONMENT = {
    "qa": {"realm": "realm-api-qa", "lookup_path": "/transactions/financial-account/transactions"},
    "production": {"realm": "realm-api-prd", "lookup_path": "/financial-account/transactions"},
}
SANDBOX_URL = "http://banesco-sandbox.invalid"
SANDBOX_ACCOUNT = "01340000000000000001"
SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET = "sandbox-client", "sandbox-secret"


@dataclass(frozen=True)
class BanescoConfig:
    environment: str = "sandbox"
    sandbox_flavour: str = "qa"
    sandbox_in_process: bool = True
    # Empty = the environment's default (PER_ENVIRONMENT, SANDBOX_DEFAULTS), filled in __post_init__.
    auth_base_url: str = ""
    realm: str = ""
    token_url_override: str = ""
    api_base_url: str = ""
    lookup_path: str = ""
    client_id: str = ""
    client_secret: str = dataclasses.field(default="", repr=False)
    grant_type: str = "password"
    client_auth: str = "basic"
    scope: str = ""
    account_id: str = ""
    device_type: str = "Server"
    device_description: str = "areamedica-backoffice"
    device_ip: str = "127.0.0.1"
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    retry_attempts: int = 3
    retry_backoff_initial: float = 0.5
    retry_backoff_max: float = 8.0
    retry_after_cap: float = 10.0
    lookups_per_second: int = 20
    budget_max_wait: float = 2.0
    claim_lookups_per_minute: int = 2
    not_found_window_hours: float = 48.0
    recheck_base_seconds: int = 120
    recheck_max_seconds: int = 3600
    sweep_lease_seconds: int = 300
    breaker_threshold: int = 5
    breaker_cooldown_seconds: float = 30.0
    token_lock_seconds: float = 15.0
    cache_prefix: str = "banesco"
    ca_bundle: str = ""  # path to a private CA bundle; certificate verification is never off
    check_reference: str = "012345678901"
    check_phone: str = "04141234567"
    check_bank_id: str = "0102"
    check_date: str = ""

    def __post_init__(self):
        flavour = self.environment if self.environment != "sandbox" else self.sandbox_flavour
        defaults = dict(PER_ENVIRONMENT.get(flavour, PER_ENVIRONMENT["qa"]))
        if self.environment == "sandbox":
            defaults.update(auth_base_url=SANDBOX_URL, api_base_url=SANDBOX_URL, account_id=SANDBOX_ACCOUNT)
            if not self.client_id and not self.client_secret:
                defaults.update(client_id=SANDBOX_CLIENT_ID, client_secret=SANDBOX_CLIENT_SECRET)
        for name, value in defaults.items():
            if not getattr(self, name):
                object.__setattr__(self, name, value)

    @property
    def token_url(self) -> str:
        if self.token_url_override:
            return self.token_url_override
        base = self.auth_base_url.rstrip("/")
        return f"{base}/auth/realms/{self.realm}/protocol/openid-connect/token"

    @property
    def lookup_url(self) -> str:
        return self.api_base_url.rstrip("/") + "/" + self.lookup_path.lstrip("/")

    @property
    def uses_in_process_sandbox(self) -> bool:
        return self.environment == "sandbox" and self.sandbox_in_process

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)

    def replace(self, **changes) -> BanescoConfig:
        return dataclasses.replace(self, **changes)

    def url_problems(self) -> list[str]:
        """The one Banesco URL rule, for every entry point: https outside the sandbox.

        Checked at start-up of every process (banking/checks.py, run by config/checks.py: web
        workers, verification workers, every manage.py command) and by `problems()`.
        """
        if self.environment == "sandbox":
            return []  # the simulator: in-process, or `manage.py banesco_sandbox` on plain http
        return [
            f"{self.environment}: Banesco URL {url!r} is not https"
            for url in (self.token_url_override or self.auth_base_url, self.api_base_url)
            if url and not url.lower().startswith("https://")
        ]

    def problems(self) -> list[str]:
        """Half-configured settings, as human sentences (used by the system checks)."""
        out = []
        if self.environment not in ENVIRONMENTS:
            out.append(f"BANESCO_ENVIRONMENT {self.environment!r} is not one of {ENVIRONMENTS}")
        if self.grant_type not in GRANT_TYPES:
            out.append(f"BANESCO_GRANT_TYPE must be one of {GRANT_TYPES}")
        if self.client_auth not in CLIENT_AUTH_STYLES:
            out.append(f"BANESCO_CLIENT_AUTH must be one of {CLIENT_AUTH_STYLES}")
        if bool(self.client_id) != bool(self.client_secret):
            out.append("BANESCO_CLIENT_ID and BANESCO_CLIENT_SECRET must be set together")
        if self.environment != "sandbox":
            if not self.client_id or not self.client_secret:
                out.append(f"{self.environment}: BANESCO_CLIENT_ID / BANESCO_CLIENT_SECRET are missing")
            if not self.token_url_override and not self.auth_base_url:
                out.append(f"{self.environment}: BANESCO_AUTH_BASE_URL (or BANESCO_TOKEN_URL) is missing")
            if not self.api_base_url:
                out.append(f"{self.environment}: BANESCO_API_BASE_URL is missing")
        out.extend(self.url_problems())
        if self.sandbox_flavour not in ("qa", "production"):
            out.append("BANESCO_SANDBOX_FLAVOUR must be qa or production")
        if not ACCOUNT_ID_RE.match(self.account_id or ""):
            out.append("BANESCO_ACCOUNT_ID must be the merchant's 20-digit account number")
        if self.ca_bundle and not os.path.isfile(self.ca_bundle):
            out.append(f"BANESCO_CA_BUNDLE {self.ca_bundle!r} is not a readable file")
        if self.grant_type == "client_credentials":
            out.append("BANESCO_GRANT_TYPE=client_credentials: Banesco refuses it (unauthorized_client)")
        if self.retry_attempts < 1 or self.lookups_per_second < 1 or self.claim_lookups_per_minute < 1:
            out.append("BANESCO_RETRY_ATTEMPTS / LOOKUPS_PER_SECOND / CLAIM_LOOKUPS_PER_MINUTE must be >= 1")
        return out


_FIELD_NAMES = {f.name for f in dataclasses.fields(BanescoConfig)}
_RENAMES = {"TOKEN_URL": "token_url_override"}


_TYPES = {f.name: type(f.default) for f in dataclasses.fields(BanescoConfig)}


def _coerce(name: str, value):
    """`settings.BANESCO` values come from the environment as text: cast them to the field's type."""
    kind = _TYPES[name]
    if not isinstance(value, str) or kind is str:
        return value
    if kind is bool:
        return value.strip().lower() in ("1", "true", "yes", "on")
    return kind(value.strip())


def get_config() -> BanescoConfig:
    """The current configuration (cheap; re-read so `override_settings` works in tests).

    `settings.BANESCO` holds only what the environment set (every `BANESCO_<NAME>` variable);
    every default is a field default of BanescoConfig.
    """
    raw = getattr(settings, "BANESCO", {}) or {}
    values = {}
    for key, value in raw.items():
        name = _RENAMES.get(key, key.lower())
        if name in _FIELD_NAMES:
            values[name] = _coerce(name, value)
    return BanescoConfig(**values)
