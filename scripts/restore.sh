#!/usr/bin/env bash
# Restore a dump made by scripts/backup.sh into the database named by DATABASE_URL.
#
#   DATABASE_URL=postgres://user@host:5432/areamedica scripts/restore.sh DUMP_FILE
#
# * checks DUMP_FILE.sha256 when present;
# * creates the target database when it does not exist;
# * refuses a target that already has tables unless RESTORE_CLEAN=1 (then existing objects are
#   dropped first: --clean --if-exists);
# * restores in ONE transaction (--single-transaction --exit-on-error): all or nothing;
# * then run `manage.py verify_audit` (the hash chain must verify) before opening traffic.
set -euo pipefail

dump="${1:?usage: restore.sh DUMP_FILE}"
[ -f "$dump" ] || { echo "restore.sh: $dump not found" >&2; exit 2; }
url="${DATABASE_URL:?DATABASE_URL must point at the target PostgreSQL database}"
case "$url" in
  postgres://* | postgresql://*) ;;
  *) echo "restore.sh: DATABASE_URL is not a PostgreSQL URL" >&2; exit 2 ;;
esac
url="postgresql://${url#*://}"

if [ -f "$dump.sha256" ]; then
  (cd "$(dirname "$dump")" && sha256sum --check --quiet "$(basename "$dump").sha256")
fi

base="${url%%\?*}"
dbname="${base##*/}"
maintenance="${base%/*}/postgres"
exists="$(psql "$maintenance" -Atc "SELECT 1 FROM pg_database WHERE datname = '$dbname'")"
if [ "$exists" != "1" ]; then
  echo "creating database $dbname" >&2
  psql "$maintenance" -qc "CREATE DATABASE \"$dbname\""
fi

tables="$(psql "$url" -Atc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
clean=()
if [ "$tables" != "0" ]; then
  if [ "${RESTORE_CLEAN:-0}" != "1" ]; then
    echo "restore.sh: $dbname already has $tables tables; set RESTORE_CLEAN=1 to replace them" >&2
    exit 3
  fi
  clean=(--clean --if-exists)
fi

pg_restore --no-owner --no-privileges --single-transaction --exit-on-error "${clean[@]}" --dbname="$url" "$dump"
echo "restored $dump into $dbname; now run: manage.py verify_audit" >&2
