#!/usr/bin/env bash
# Prepares the real Anki clients the interop tests drive (test/interop/anki-client.ts), each in a
# venv of its own with pinned packages. Idempotent; called by scripts/setup.sh --tests.
#   .venv         anki==26.9.3, the current client (and `python -m anki.syncserver`, the official
#                 server the suites compare against);
#   .venv-2.1.50  anki==2.1.50 and .venv-2.1.56 anki==2.1.56, old clients that speak sync protocol
#                 10 (test/interop/old-clients.*.test.ts), on Python 3.11 (where they were tried;
#                 their wheels are cp39-abi3). Those wheels put no upper bound on protobuf: it is
#                 pinned to the release their generated code was tried with.
# A venv is remade only when it lacks a pinned package; pip's own cache keeps a remake cheap.
set -euo pipefail
cd "$(dirname "$0")/.."

# anki_venv DIR PYTHON REQUIREMENT...: a venv in DIR holding these requirements (name==version).
anki_venv() {
  local dir=$1 python=$2
  shift 2
  local check="import importlib.metadata as m, sys; sys.exit(0 if all(m.version(n) == v for n, v in (r.split('==') for r in sys.argv[1:])) else 1)"
  if ! "$dir/bin/python" -c "$check" "$@" 2>/dev/null; then
    echo "Installing the real Anki client ($*) into $dir for the interop tests" >&2
    "$python" -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
  fi
}

anki_venv .venv python3 anki==26.9.3

case "$(uname -s)" in
  # Windows venvs have Scripts\python.exe, not bin/python: the CI workflow makes .venv there
  # itself, and the old clients are not set up (their tests fail there, as the lane may).
  MINGW* | MSYS* | CYGWIN*) echo "The old Anki clients (.venv-2.1.50, .venv-2.1.56) are not set up on Windows." >&2 ;;
  *)
    old_python=$(command -v python3.11 || command -v python3)
    for old in 2.1.50 2.1.56; do
      anki_venv ".venv-$old" "$old_python" "anki==$old" protobuf==7.36.2
    done
    ;;
esac
