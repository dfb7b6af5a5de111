#!/usr/bin/env bash
# Start the Unleash Proxy with your backend token and a client key of your choosing, ask it for
# the flag docs-demo with that key, then stop it.
set -euo pipefail
port="${PROXY_PORT:-3000}"
UNLEASH_URL="$UNLEASH_URL/api" UNLEASH_API_TOKEN="$UNLEASH_BACKEND_TOKEN" \
  UNLEASH_PROXY_CLIENT_KEYS=my-client-key PORT="$port" \
  node node_modules/@unleash/proxy/dist/start.js > proxy.log 2>&1 &
proxy=$!
trap 'kill "$proxy"' EXIT
for attempt in $(seq 30); do # ready once it has read the flags from Unleash
  curl -sf "http://127.0.0.1:$port/proxy/health" > /dev/null && break
  sleep 1
done
curl -s "http://127.0.0.1:$port/proxy" -H "Authorization: my-client-key" |
  jq '.toggles[] | select(.name == "docs-demo") | .enabled'
