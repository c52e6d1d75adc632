#!/usr/bin/env bash
# Runs the headless sync server in the foreground, configured by the official server's
# environment variables (see README). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/node-env.sh
# The built server (dist/, compiled as the app ships it, with the admin page's window): it runs in
# ~25 MB less memory than the TypeScript sources through Node's type stripper (docs/memory.md).
node scripts/build.mjs >/dev/null
exec node dist/headless/cli.js "$@"
