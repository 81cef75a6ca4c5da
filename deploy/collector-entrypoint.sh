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
exec $cli "$@"
