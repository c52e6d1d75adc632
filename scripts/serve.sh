#!/usr/bin/env bash
# Runs the headless sync server in the foreground, configured by the official server's
# environment variables (see README). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/node-env.sh
exec node src/headless/cli.ts
