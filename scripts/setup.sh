#!/usr/bin/env bash
# Installs everything Hearth needs on this machine, idempotently: Node 24 (if the system Node
# is older), npm packages from the lockfile, and the native unicase SQLite extension.
# With --tests it also prepares what the tests need: Python venvs with the real Anki clients
# (.venv: the current one; .venv-2.1.50, .venv-2.1.56: old ones).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh

stamp=node_modules/.hearth-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
node scripts/build-native.mjs

if [ "${1:-}" = "--tests" ]; then
  # The packaging tests check the native libraries of all six targets (Zig, from PyPI, builds the
  # other systems' unicase; installed into .tools/zig on first need).
  node scripts/build-native.mjs --all
  # The Windows lane: the headless server run by Windows Node under Wine (Linux x64 only).
  bash scripts/setup-wine.sh
  # The real Anki clients the interop tests drive: .venv (anki 26.9.3, also the official server)
  # and the old clients .venv-2.1.50, .venv-2.1.56.
  bash scripts/setup-anki-clients.sh
  # The UI tests (test/ui) drive Debian's Chromium through playwright-core; no browser is
  # downloaded. Installed here only where this script may (as root, as in CI); elsewhere,
  # install the `chromium` package yourself (or point HEARTH_CHROMIUM at a Chromium).
  if ! command -v chromium >/dev/null 2>&1 && [ -z "${HEARTH_CHROMIUM:-}" ]; then
    if [ "$(id -u)" = "0" ]; then
      echo "Installing Chromium (Debian's chromium package) for the UI tests" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2
    else
      echo "The UI tests need Chromium: install Debian's chromium package (sudo apt-get install chromium)." >&2
    fi
  fi
fi
