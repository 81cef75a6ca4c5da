#!/bin/sh
# The collector image's entrypoint. On the first `start` with no users it makes the console's
# first admin (user "admin", a random password, an admin API token) and prints them once in the
# container's log: `docker logs` is how the operator receives them. Then it runs the collector.
set -eu
cli="node /opt/pantau/collector/bin/pantau-collector.js"
if [ "${1:-}" = start ] && [ -z "$($cli users list)" ]; then
  password="$(node -p "require('node:crypto').randomBytes(15).toString('base64url')")"
  $cli users add admin --role admin >/dev/null 2>&1
  printf '%s\n' "$password" | $cli users passwd admin >/dev/null 2>&1
  token="$($cli tokens create --role admin --user admin --name first-admin 2>/dev/null)"
  cat <<MSG
pantau: first start, a console admin was made (shown only now; change the password in the console):
pantau:   login:     admin
pantau:   password:  $password
pantau:   API token: $token
MSG
fi
# With PANTAU_AGENT_HOST and PANTAU_AGENT_TOKEN_FILE (compose): that host is added once and its
# agent token left in the file, on a volume the agent's container reads.
if [ "${1:-}" = start ] && [ -n "${PANTAU_AGENT_HOST:-}" ] && [ -n "${PANTAU_AGENT_TOKEN_FILE:-}" ] &&
  [ ! -s "$PANTAU_AGENT_TOKEN_FILE" ]; then
  (umask 077 && $cli hosts add "$PANTAU_AGENT_HOST" >"$PANTAU_AGENT_TOKEN_FILE.tmp")
  mv "$PANTAU_AGENT_TOKEN_FILE.tmp" "$PANTAU_AGENT_TOKEN_FILE"
  echo "pantau: added host $PANTAU_AGENT_HOST; its agent token is in $PANTAU_AGENT_TOKEN_FILE"
fi
exec $cli "$@"
