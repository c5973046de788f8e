#!/usr/bin/env bash
# Back up the application database with pg_dump (custom format: compressed, restorable selectively,
# parallel restore possible). The database comes from DATABASE_URL (the same variable the app uses).
#
#   DATABASE_URL=postgres://user@host:5432/areamedica scripts/backup.sh [OUTPUT_FILE]
#
# Writes OUTPUT_FILE (default backups/areamedica-<UTC timestamp>.dump) atomically (a .partial file
# renamed when complete and readable), plus OUTPUT_FILE.sha256. Prints the file name. Passwords: use
# ~/.pgpass or PGPASSWORD, never the command line of a cron job. See docs/OPERATIONS.md.
set -euo pipefail

url="${DATABASE_URL:?DATABASE_URL must point at the PostgreSQL database to back up}"
case "$url" in
  postgres://* | postgresql://*) ;;
  *) echo "backup.sh: DATABASE_URL is not a PostgreSQL URL" >&2; exit 2 ;;
esac
url="postgresql://${url#*://}"  # libpq spelling
out="${1:-backups/areamedica-$(date -u +%Y%m%dT%H%M%SZ).dump}"
mkdir -p "$(dirname "$out")"
umask 077  # dumps hold personal data: readable by the operator only
tmp="$out.partial"
trap 'rm -f "$tmp"' EXIT

pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$tmp" "$url"
pg_restore --list "$tmp" >/dev/null  # the archive is complete and readable
mv "$tmp" "$out"
trap - EXIT
(cd "$(dirname "$out")" && sha256sum "$(basename "$out")" >"$(basename "$out").sha256")
echo "$out"
