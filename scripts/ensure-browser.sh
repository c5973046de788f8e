#!/usr/bin/env bash
# Make sure headless Chromium and its driver are installed (Debian packages) for the browser tests.
# Idempotent: does nothing when both are already there.
set -euo pipefail

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
  echo "chromedriver: $(/usr/bin/chromedriver --version 2>/dev/null | head -1 || echo present)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "ensure-browser: need root (or sudo) to apt-get install chromium chromium-driver" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-liberation
/usr/bin/chromium --version
/usr/bin/chromedriver --version | head -1
