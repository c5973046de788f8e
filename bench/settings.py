"""Production settings for the benchmark servers, with the Banesco sandbox swapped in.

`config.settings` under DJANGO_ENV=production refuses the sandbox (rightly). The bench runner
therefore starts the servers with DJANGO_ENV=production and *placeholder* qa credentials (so the
production block loads unchanged: DEBUG off, Redis cache, PostgreSQL, hardening), and this module
overrides only the Banesco block afterwards:

* default: the in-process sandbox (a `requests` transport adapter, zero latency);
* BENCH_BANESCO_SANDBOX_URL=http://127.0.0.1:PORT: the HTTP sandbox (`manage.py banesco_sandbox`).

Nothing else differs from production. Used only by bench/ (never by a deployment).
"""

import os

from config.settings import *  # noqa: F403
from config.settings import BANESCO

_sandbox_url = os.environ.get("BENCH_BANESCO_SANDBOX_URL", "").rstrip("/")

BANESCO = {
    **BANESCO,
    "ENVIRONMENT": "sandbox",
    "SANDBOX_FLAVOUR": os.environ.get("BENCH_BANESCO_SANDBOX_FLAVOUR", "qa"),
    "SANDBOX_IN_PROCESS": not _sandbox_url,
    "AUTH_BASE_URL": _sandbox_url or "http://banesco-sandbox.invalid",
    "API_BASE_URL": _sandbox_url or "http://banesco-sandbox.invalid",
    "TOKEN_URL": "",
    "REALM": "realm-api-qa",
    "LOOKUP_PATH": "/transactions/financial-account/transactions",
    "CLIENT_ID": "sandbox-client",
    "CLIENT_SECRET": "sandbox-secret",
    "ACCOUNT_ID": "01340000000000000001",
}
# The admin scenario renders pages with production's manifest static storage: the runner collects
# the static files into this directory first (`collectstatic`, like a deployment's build step).
if os.environ.get("BENCH_STATIC_ROOT"):
    STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]

# banking.E001 ("production must not use the sandbox") is exactly what this module does on purpose.
SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "banking.E001"]
