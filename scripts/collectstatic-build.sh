#!/usr/bin/env sh
# Build-time collectstatic with the PRODUCTION storage (hashed, compressed files for whitenoise).
# Production settings refuse to load without their secrets, so this passes throw-away values that
# exist only for this one command; nothing here connects to a database, cache or bank.
set -eu
DJANGO_ENV=production \
SECRET_KEY="build-only-$(date +%s)-not-a-real-secret-key-value-for-collectstatic" \
DATABASE_URL="postgres://build@127.0.0.1:5432/build" \
ALLOWED_HOSTS="localhost" \
REDIS_URL="redis://127.0.0.1:6379/0" \
AUDIT_HMAC_KEY="build-only" \
BANESCO_ENVIRONMENT="qa" \
BANESCO_CLIENT_ID="build" BANESCO_CLIENT_SECRET="build" BANESCO_ACCOUNT_ID="01340000000000000000" \
BANESCO_API_BASE_URL="https://build.invalid" BANESCO_AUTH_BASE_URL="https://build.invalid" \
  python manage.py collectstatic --noinput
