"""Settings for the Área Médica payments back-office.

Everything comes from the environment (django-environ; a `.env` file is read for local use).
Local defaults need no services: SQLite, local-memory cache, the in-process Banesco sandbox.
`DJANGO_ENV=production` refuses to start without the variables a real deployment needs.

Sections are grouped per app; each app owns its block.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config import checks

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="local")
if DJANGO_ENV not in {"local", "test", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be local, test or production, not {DJANGO_ENV!r}")
IS_PRODUCTION = DJANGO_ENV == "production"


def _required(name: str) -> str:
    """A variable production cannot run without (config/checks.py owns the production checks)."""
    return checks.required(env, name)


# --- core -----------------------------------------------------------------------------------
if IS_PRODUCTION:
    SECRET_KEY = _required("SECRET_KEY")
    DEBUG = env.bool("DEBUG", default=False)
    ALLOWED_HOSTS = [h.strip() for h in _required("ALLOWED_HOSTS").split(",") if h.strip()]
else:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-only-key-do-not-use-in-production")
    DEBUG = env.bool("DEBUG", default=DJANGO_ENV == "local")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- CORS (django-cors-headers): browsers calling the API from another origin (the manager UI) ---
# Empty by default: no cross-origin access unless the deployment names its origins.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = ("authorization", "content-type")
CORS_EXPOSE_HEADERS = ("x-request-id", "retry-after")
CORS_ALLOW_CREDENTIALS = False  # bearer tokens, no cookies

INSTALLED_APPS = [
    "config.apps.AreaMedicaAdminConfig",
    # Before django.contrib.auth: its management commands (changepassword) replace auth's.
    "accounts",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "corsheaders",
    "drf_spectacular_sidecar",  # Swagger UI assets served by us (no public CDN)
    "csp",
    "audit",
    "transactions",
    "banking",
    # Last: its ready() runs every app's registered start-up checks (config/checks.py).
    "config.apps.StartupChecksConfig",
]

MIDDLEWARE = [
    # First: X-Request-ID on every response, request context, access log line, HTTP metrics.
    "config.middleware.RequestContextMiddleware",
    "config.middleware.ChunkedBodyMiddleware",
    "config.middleware.ApiNoStoreMiddleware",
    # CORS before anything that can answer: preflights are answered here, without authentication.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Sessions, the session user and messages are the admin's: skipped for /api/
    # (config.middleware.AdminSessionMiddleware & co.). CSRF stays the stock middleware (check
    # --deploy requires it; DRF's views are CSRF-exempt, so it only costs a cookie read there).
    "config.middleware.AdminSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "config.middleware.AdminAuthenticationMiddleware",
    "config.middleware.AdminMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on every response: django-csp's for the admin and the API docs, a
    # fixed `default-src 'none'` for the API's JSON (config.middleware).
    "config.middleware.ContentSecurityPolicyMiddleware",
    # django-ratelimit's decorator on non-DRF views → RATELIMIT_VIEW (429 + Retry-After).
    "django_ratelimit.middleware.RatelimitMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
if IS_PRODUCTION:
    _db_url = _required("DATABASE_URL")
    if not _db_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        raise ImproperlyConfigured("DATABASE_URL must be a PostgreSQL URL when DJANGO_ENV=production")
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60 if IS_PRODUCTION else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Tests: each developer/CI job may pick its own test database name to run suites side by side.
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DB_NAME", default="test_areamedica")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache ----------------------------------------------------------------------------------
# `default` is the shared cache (Redis in production): Banesco token, circuit breaker, budgets.
# `ratelimit` is django-ratelimit's own alias (needs atomic increments: Redis in production).
if IS_PRODUCTION:
    REDIS_URL = _required("REDIS_URL")
else:
    REDIS_URL = env.str("REDIS_URL", default="")


def _cache(alias: str) -> dict:
    if REDIS_URL:
        return {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"am:{alias}",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"am-{alias}"}


CACHES = {"default": _cache("default"), "ratelimit": _cache("ratelimit")}
# JWT users and permission sets cached in `default` between requests (accounts.authcache); 0 = off.
# Off by default without Redis: a per-process local-memory copy could not be invalidated by a
# role change made in another process.
AUTH_CACHE_SECONDS = env.int("AUTH_CACHE_SECONDS", default=300 if REDIS_URL else 0)

# --- auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- i18n / time ----------------------------------------------------------------------------
LANGUAGE_CODE = "es"
LANGUAGES = [("es", "Español"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Caracas"
USE_I18N = True
USE_TZ = True

# --- static ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- request limits -------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=256 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# API JSON bodies (config.parsers): nesting depth and total object keys; more is a clear 400.
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=20)
API_JSON_MAX_KEYS = env.int("API_JSON_MAX_KEYS", default=1000)

# --- DRF / JWT / OpenAPI --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.StrictJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PagePagination",
    "PAGE_SIZE": 20,
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="") or SECRET_KEY
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=10)),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=env.int("JWT_REFRESH_HOURS", default=24)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_AUTHENTICATION_RULE": "accounts.backends.user_can_authenticate",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Área Médica payments back-office API",
    "DESCRIPTION": "Payment claims verified against Banesco; append-only audit trail.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The manager UI's profile has its own schema (/api/manager/schema/).
    "PREPROCESSING_HOOKS": ["config.openapi.exclude_manager_profile"],
    # Swagger UI from drf-spectacular-sidecar's static files (works offline, no third-party script
    # on the admin's origin).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "transactions.models.Status",
        "WebhookDeliveryStatusEnum": "transactions.webhooks.models.DeliveryStatus",
        "WebhookClaimEventTypeEnum": "transactions.webhooks.models.CLAIM_EVENT_TYPES",
    },
}
MANAGER_SPECTACULAR_SETTINGS = {
    "TITLE": "Área Médica payments back-office — manager UI profile",
    "DESCRIPTION": (
        "The contract of the product's manager UI (niokistudio/areamedica-manager-ui), served at "
        "/api/manager/v1/ over the same services as /api/v1/. Paths have no trailing slash."
    ),
    "SCHEMA_PATH_PREFIX": r"/api/manager/v1",
    "PREPROCESSING_HOOKS": ["config.openapi.only_manager_profile"],
}

# --- Content-Security-Policy (django-csp 4) -------------------------------------------------
# No inline or third-party script anywhere (the API docs use drf-spectacular's split view, whose
# initialiser is a same-origin script); inline styles stay allowed (our admin templates and Swagger
# UI use them; a style cannot run code). Framing is refused, forms post to us only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- rate limits (config.ratelimit) ---------------------------------------------------------
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_VIEW = "config.exceptions.ratelimited_view"
RATELIMIT_IP_META_KEY = "config.middleware.client_ip"  # honours TRUSTED_PROXY_COUNT
# config.ratelimit is the one mechanism: API limits fail open when the cache is down, login limits
# fall back to a per-process in-memory limiter (README "Rate limits").
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
LOGIN_RATE_PER_IP = env.str("LOGIN_RATE_PER_IP", default="20/m")
LOGIN_RATE_PER_EMAIL = env.str("LOGIN_RATE_PER_EMAIL", default="5/m")

# --- proxies / operations ------------------------------------------------------------------
# How many reverse proxies (load balancer, ingress) append to X-Forwarded-For in front of us.
# 0 = use REMOTE_ADDR (never trust a client-supplied X-Forwarded-For).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Optional bearer token for GET /metrics (restrict it at the network either way).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- admin ----------------------------------------------------------------------------------
ADMIN_URL = env.str("ADMIN_URL", default="admin/").strip("/") + "/"

# --- audit ----------------------------------------------------------------------------------
if IS_PRODUCTION:
    AUDIT_HMAC_KEY = _required("AUDIT_HMAC_KEY")
else:
    AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="local-audit-key-not-for-production")
# Independent hash chains the trail is sharded into (docs/AUDIT_CHAINS.md): appends to different
# chains never wait for each other. May be raised later (existing chains stay valid).
AUDIT_CHAINS = env.int("AUDIT_CHAINS", default=16)

# --- transactions ---------------------------------------------------------------------------
PAYMENT_DATE_MAX_AGE_DAYS = env.int("PAYMENT_DATE_MAX_AGE_DAYS", default=90)
CLAIM_CREATE_RATE = env.str("CLAIM_CREATE_RATE", default="60/m")
# The manager UI's `POST …/refresh` waits this long (0-10 s) for the verification worker's look-up
# before answering, so the UI's re-fetch right after it shows the outcome (README "Using the manager
# UI"). It holds a web worker while it waits (no bank call: it re-reads the row); 0 answers at once.
MANAGER_REFRESH_WAIT_SECONDS = env.float("MANAGER_REFRESH_WAIT_SECONDS", default=3.0)

# Webhooks (transactions/webhooks/): outbox delivery by `manage.py webhook_worker`.
# Production always requires https and public addresses (SSRF); local/test may use http://127.0.0.1.
WEBHOOKS = {
    "REQUIRE_HTTPS": True if IS_PRODUCTION else env.bool("WEBHOOKS_REQUIRE_HTTPS", default=False),
    "ALLOW_PRIVATE_ADDRESSES": False if IS_PRODUCTION else env.bool("WEBHOOKS_ALLOW_PRIVATE", default=True),
    "CONNECT_TIMEOUT": env.float("WEBHOOKS_CONNECT_TIMEOUT", default=3.0),
    "READ_TIMEOUT": env.float("WEBHOOKS_READ_TIMEOUT", default=10.0),
    # CA bundle to verify receivers' certificates ("" = certifi's).
    "CA_BUNDLE": env.str("WEBHOOKS_CA_BUNDLE", default=""),
    # Retries: base·2^(n-1) seconds (jittered), capped; after RETRY_FOR_SECONDS a delivery fails.
    "RETRY_BASE_SECONDS": env.float("WEBHOOKS_RETRY_BASE_SECONDS", default=30.0),
    "RETRY_MAX_SECONDS": env.float("WEBHOOKS_RETRY_MAX_SECONDS", default=12 * 3600.0),
    "RETRY_FOR_SECONDS": env.float("WEBHOOKS_RETRY_FOR_SECONDS", default=3 * 86400.0),
    # An endpoint failing (no 2xx) for this long is disabled and flagged in the admin.
    "DISABLE_AFTER_SECONDS": env.float("WEBHOOKS_DISABLE_AFTER_SECONDS", default=3 * 86400.0),
    "ROTATION_OVERLAP_SECONDS": env.int("WEBHOOKS_ROTATION_OVERLAP_SECONDS", default=24 * 3600),
    # A worker's hold on a delivery it is sending (longer than connect + read timeouts).
    "LEASE_SECONDS": env.float("WEBHOOKS_LEASE_SECONDS", default=60.0),
    "WORKER_THREADS": env.int("WEBHOOKS_WORKER_THREADS", default=4),
    "POLL_SECONDS": env.float("WEBHOOKS_POLL_SECONDS", default=2.0),
}

# --- banking (Banesco) ----------------------------------------------------------------------
# DESIGN.md section 4. `sandbox` (default) uses the in-process simulator (banking/sandbox/);
# `qa`/`production` talk to Banesco. Every `BANESCO_<NAME>` variable overrides the field <name>
# of banking.conf.BanescoConfig, which holds every default (per environment: realm, lookup path;
# sandbox: URLs, credentials, account); the README's Banesco table lists them all.
BANESCO_ENVIRONMENT = env.str("BANESCO_ENVIRONMENT", default="sandbox").strip().lower()
if BANESCO_ENVIRONMENT not in {"sandbox", "qa", "production"}:
    raise ImproperlyConfigured("BANESCO_ENVIRONMENT must be sandbox, qa or production")
# What production needs of these (no sandbox, credentials, account, https URLs) is checked at
# start-up by banking/checks.py (config/checks.py).
BANESCO = {
    name[len("BANESCO_") :]: value for name, value in os.environ.items() if name.startswith("BANESCO_")
}
BANESCO["ENVIRONMENT"] = BANESCO_ENVIRONMENT

# --- reconciler workbench (transactions.workbench) --------------------------------------------
# How long "Take" keeps a claim with its reconciler (renewed while they work on it), and the widest
# date range a search from the claim's page may look up (one bank look-up per day).
WORKBENCH_ASSIGNMENT_MINUTES = env.int("WORKBENCH_ASSIGNMENT_MINUTES", default=30)
WORKBENCH_SEARCH_MAX_DAYS = env.int("WORKBENCH_SEARCH_MAX_DAYS", default=7)

# --- logging --------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_JSON = env.bool("LOG_JSON", default=IS_PRODUCTION)
LOGGING_CONFIG = None  # configured by config.logging (structlog) below

from config.logging import configure_logging  # noqa: E402

configure_logging(level=LOG_LEVEL, json=LOG_JSON)

# --- production hardening (manage.py check --deploy --fail-level WARNING) -------------------
if IS_PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^ready/$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    X_FRAME_OPTIONS = "DENY"
