#!/usr/bin/env bash
# Create .venv (Python 3.11) if missing and install the given requirements file into it.
set -euo pipefail
REQ="${1:-requirements/dev.txt}"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
fi
.venv/bin/pip install -q -r "$REQ" 2>&1 | grep -v "is ignored: it is neither" || true
.venv/bin/python -c "import django" # fail loudly if the install did not work
