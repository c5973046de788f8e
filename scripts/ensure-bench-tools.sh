#!/usr/bin/env bash
# Tools the benchmark suite (`python -m bench`, `make bench`) needs beyond the virtualenv:
# wrk, the HTTP load generator (Debian package `wrk`). Installs it with apt-get when missing.
set -euo pipefail

if command -v wrk >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
  echo "FATAL: wrk is missing and this user cannot apt-get install it" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq wrk >/dev/null
command -v wrk >/dev/null 2>&1 || { echo "FATAL: wrk did not install" >&2; exit 1; }
echo "installed $(wrk --version 2>&1 | head -1)" >&2
