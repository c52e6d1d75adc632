#!/usr/bin/env bash
# Installs everything Hearth needs on this machine, idempotently: Node 24 (if the system Node
# is older), npm packages from the lockfile, and the native unicase SQLite extension.
# With --tests it also prepares what the tests need: a Python venv with the real Anki client.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh

stamp=node_modules/.hearth-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
node scripts/build-native.mjs

if [ "${1:-}" = "--tests" ]; then
  anki_version=26.9.3
  if ! .venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('anki') == '$anki_version' else 1)" 2>/dev/null; then
    echo "Installing the real Anki client (anki==$anki_version) into .venv for the interop tests" >&2
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check "anki==$anki_version"
  fi
fi
