#!/usr/bin/env bash
# Regenerates src/server/collection/proto/gen/ from the .proto files next to it.
# buf and protoc-gen-es come from devDependencies (buf ships its binary in an npm package),
# so no system protoc is needed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=node-env.sh
source "$root/scripts/node-env.sh"
export PATH="$root/node_modules/.bin:$PATH"
cd "$root/src/server/collection/proto"
buf lint
buf generate
