#!/usr/bin/env bash
# A SEPARATE PostgreSQL cluster ("faults", port 5439 by default, trust auth on localhost) for the
# database fault tests (tests/reliability/test_db_faults.py), which stop and restart it: the main
# cluster on 5432 that every other suite uses is never touched. Idempotent: creates the cluster
# once, starts it if it is down, waits until it answers.
#   usage: scripts/ensure-pg-faults.sh [port]        env: PG_FAULTS_CLUSTER (default "faults")
set -euo pipefail

PORT="${1:-${PG_FAULTS_PORT:-5439}}"
NAME="${PG_FAULTS_CLUSTER:-faults}"
VERSION="${PG_VERSION:-$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)}"
[ -n "$VERSION" ] || { echo "no PostgreSQL installation under /etc/postgresql" >&2; exit 1; }
command -v pg_createcluster >/dev/null || { echo "pg_createcluster not found (postgresql-common)" >&2; exit 1; }

if [ ! -d "/etc/postgresql/$VERSION/$NAME" ]; then
  echo "creating PostgreSQL $VERSION cluster '$NAME' on port $PORT" >&2
  pg_createcluster "$VERSION" "$NAME" -p "$PORT" -- --auth=trust >/dev/null
  # Quick shutdowns and small footprint: it only ever holds a few test databases.
  conf="/etc/postgresql/$VERSION/$NAME/postgresql.conf"
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "shared_buffers = 32MB"
    echo "fsync = off"
    echo "synchronous_commit = off"
    echo "full_page_writes = off"
  } >>"$conf"
fi

if ! pg_isready -h 127.0.0.1 -p "$PORT" -q 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$NAME" start
fi
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p "$PORT" -q 2>/dev/null && exit 0
  sleep 0.5
done
echo "FATAL: faults cluster did not start on port $PORT" >&2
exit 1
