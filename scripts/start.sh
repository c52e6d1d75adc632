#!/usr/bin/env bash
# Runs Hearth, the desktop app, on a fresh machine: installs what it needs (Node 24, npm
# packages, the native extension), builds, and launches Electron. Where no Electron binary can
# be had, it says so and points to the headless server (bash scripts/serve.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/node-env.sh
exec npm start --silent
