"""Test settings: the same settings module, pointed at the real PostgreSQL on 127.0.0.1:5432."""

import os

os.environ.setdefault("DJANGO_ENV", "test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/areamedica")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never in prod

# The suite runs in one process, so the local-memory cache can hold users and permission sets as Redis does
# in production: every permission test also exercises accounts.authcache's invalidation.
AUTH_CACHE_SECONDS = 300
