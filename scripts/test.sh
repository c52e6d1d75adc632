#!/usr/bin/env bash
# Every test: formatting, lint, types, then all test files (unit, HTTP-level, and interop tests
# that drive the real Anki client against Hearth and against the official server).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
source scripts/node-env.sh
npm run --silent format:check
npm run --silent lint
npm run --silent typecheck
node --test --test-reporter=spec "test/**/*.test.ts" "$@"
