import type { Arch } from './artifacts.ts';

/** What agent.sh knows of one build: the executable's SHA-256 and size, and its .gz's size (null: none). */
export interface ScriptBuild {
  sha256: string;
  size: number;
  gzipSize: number | null;
}

/** Quotes a value for a POSIX shell: inside single quotes nothing is special but the quote itself. */
function sq(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * agent.sh: POSIX sh that downloads this collector's single executable for the machine's
 * architecture (gzip-compressed when the build has a .gz and the host has gzip), checks its
 * SHA-256 (refusing when no tool can), and lets it install itself (`install-service`), or removes
 * an install (`--uninstall`). `--root DIR` lays everything out under DIR and starts nothing.
 */
export function agentScript(
  base: string,
  agentUrl: string,
  builds: Partial<Record<Arch, ScriptBuild>>,
): string {
  const v = (arch: Arch, key: keyof ScriptBuild) => sq(String(builds[arch]?.[key] ?? ''));
  return `#!/bin/sh
# Pantau agent installer, served by the collector at ${base}.
#   curl -fsSL ${base}/install/agent.sh | sudo sh -s -- --token TOKEN
#   curl -fsSL ${base}/install/agent.sh | sudo sh -s -- --code ENROLLMENT-CODE
#   curl -fsSL ${base}/install/agent.sh | sudo sh -s -- --uninstall
set -eu

BASE=${sq(base)}
AGENT_URL=${sq(agentUrl)}
SHA256_X64=${v('x64', 'sha256')}
SIZE_X64=${v('x64', 'size')}
GZIP_SIZE_X64=${v('x64', 'gzipSize')}
SHA256_ARM64=${v('arm64', 'sha256')}
SIZE_ARM64=${v('arm64', 'size')}
GZIP_SIZE_ARM64=${v('arm64', 'gzipSize')}

TOKEN="\${PANTAU_TOKEN:-}"
CODE=''
NAME=''
CA_FILE=''
INSECURE=''
ROOT=''
UNINSTALL=''

usage() {
  cat <<'USAGE'
Usage: agent.sh [--token TOKEN | --code CODE] [options]
  --token TOKEN     the host's agent token (or PANTAU_TOKEN in the environment)
  --code CODE       an enrollment code; exchanged for a token (pantau-agent enroll)
  --name NAME       host name to enroll as (default: this machine's hostname)
  --ca-file FILE    PEM file of the CA that signed the collector's certificate
  --insecure        allow ws:// to a collector that is not on this machine
  --root DIR        lay the install out under DIR and start nothing (packaging, tests)
  --uninstall       stop the service and remove the binary, unit, config and token
USAGE
}

die() {
  echo "agent.sh: $*" >&2
  exit 2
}

need_value() {
  [ $# -ge 2 ] || die "$1 needs a value"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --token) need_value "$@"; TOKEN=$2; shift 2 ;;
    --code) need_value "$@"; CODE=$2; shift 2 ;;
    --name) need_value "$@"; NAME=$2; shift 2 ;;
    --ca-file) need_value "$@"; CA_FILE=$2; shift 2 ;;
    --root) need_value "$@"; ROOT=$2; shift 2 ;;
    --insecure) INSECURE=1; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
done

BIN="$ROOT/usr/local/bin/pantau-agent"
UNIT="$ROOT/etc/systemd/system/pantau-agent.service"
ETC="$ROOT/etc/pantau"

if [ -z "$ROOT" ] && [ "$(id -u)" != 0 ]; then
  die "run me as root (sudo sh), or pass --root DIR"
fi

if [ -n "$UNINSTALL" ]; then
  if [ -z "$ROOT" ] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now pantau-agent.service 2>/dev/null || true
  fi
  rm -f "$UNIT" "$BIN" "$ETC/agent.yaml" "$ETC/agent.token" "$ETC/agent.env" "$ETC/ca.pem"
  rmdir "$ETC" 2>/dev/null || true
  if [ -z "$ROOT" ] && command -v systemctl >/dev/null 2>&1; then systemctl daemon-reload || true; fi
  echo "pantau-agent removed"
  exit 0
fi

[ -n "$TOKEN" ] || [ -n "$CODE" ] || { usage >&2; die "give --token TOKEN or --code CODE"; }

case "$(uname -m)" in
  x86_64 | amd64) ARCH=x64; SUM=$SHA256_X64; SIZE=$SIZE_X64; GZIP_SIZE=$GZIP_SIZE_X64 ;;
  aarch64 | arm64) ARCH=arm64; SUM=$SHA256_ARM64; SIZE=$SIZE_ARM64; GZIP_SIZE=$GZIP_SIZE_ARM64 ;;
  *) die "no pantau-agent build for $(uname -m)" ;;
esac
[ -n "$SUM" ] || die "this collector has no pantau-agent build for linux-$ARCH"

# The download is checked before it runs as root: no tool to check it, no install.
if command -v sha256sum >/dev/null 2>&1; then SHA256='sha256sum'
elif command -v shasum >/dev/null 2>&1; then SHA256='shasum -a 256'
elif command -v openssl >/dev/null 2>&1; then SHA256='openssl dgst -sha256 -r'
else die "cannot check the download's SHA-256: install sha256sum (coreutils), shasum (perl) or openssl"
fi
command -v curl >/dev/null 2>&1 || command -v wget >/dev/null 2>&1 || die "needs curl or wget"

mb() {
  awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'
}

fetch() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL \${CA_FILE:+--cacert "$CA_FILE"} -o "$2" "$1"
  else
    wget -q \${CA_FILE:+--ca-certificate="$CA_FILE"} -O "$2" "$1"
  fi
}

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
URL="$BASE/install/pantau-agent-linux-$ARCH"
if [ -n "$GZIP_SIZE" ] && command -v gzip >/dev/null 2>&1; then
  echo "downloading pantau-agent for linux-$ARCH from $BASE: $(mb "$GZIP_SIZE") gzip-compressed, $(mb "$SIZE") unpacked"
  fetch "$URL.gz" "$TMP/pantau-agent.gz"
  echo "received $(mb "$(wc -c <"$TMP/pantau-agent.gz")")"
  gzip -dc "$TMP/pantau-agent.gz" >"$TMP/pantau-agent" || die "the download is not a valid gzip file"
  rm -f "$TMP/pantau-agent.gz"
else
  echo "downloading pantau-agent for linux-$ARCH from $BASE: $(mb "$SIZE") uncompressed (\${GZIP_SIZE:+no gzip on this host}\${GZIP_SIZE:-the collector has no .gz build})"
  fetch "$URL" "$TMP/pantau-agent"
  echo "received $(mb "$(wc -c <"$TMP/pantau-agent")")"
fi
GOT=$($SHA256 "$TMP/pantau-agent" | cut -d ' ' -f 1)
[ "$GOT" = "$SUM" ] || die "the download does not match its SHA-256 $SUM (got $GOT with $SHA256)"
chmod 0755 "$TMP/pantau-agent"

set --
[ -z "$CA_FILE" ] || set -- "$@" --ca-file "$CA_FILE"
[ -z "$INSECURE" ] || set -- "$@" --insecure
if [ -n "$CODE" ]; then
  "$TMP/pantau-agent" enroll "$BASE" "$CODE" \${NAME:+--name "$NAME"} --token-file "$TMP/token" --config "$TMP/enrolled.yaml" --no-next-steps "$@"
  TOKEN=$(cat "$TMP/token")
fi
PANTAU_TOKEN="$TOKEN" "$TMP/pantau-agent" install-service --url "$AGENT_URL" --root "\${ROOT:-/}" "$@"
echo "pantau-agent installed\${ROOT:+ under $ROOT}"
`;
}
