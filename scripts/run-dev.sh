#!/bin/sh
# `make run`: the dev server and a verification worker side by side (SQLite: the worker polls every
# second). Ctrl-C (or SIGTERM to this script) stops both; the worker finishes the claim in hand first.
set -eu
cd "$(dirname "$0")/.."
PY=.venv/bin/python

"$PY" manage.py verification_worker --poll-interval 1 &
WORKER=$!
"$PY" manage.py webhook_worker --threads 1 --poll 1 &
WEBHOOKS=$!
"$PY" manage.py runserver "${RUN_ADDR:-127.0.0.1:8000}" &
SERVER=$!
stop_both() {
    kill -TERM "$SERVER" "$WORKER" "$WEBHOOKS" 2>/dev/null || true
    wait "$SERVER" "$WORKER" "$WEBHOOKS" 2>/dev/null || true
}
trap stop_both EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait "$SERVER"
