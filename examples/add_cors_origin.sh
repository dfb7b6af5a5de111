#!/usr/bin/env bash
# Allow one more origin to read the front-end API, keeping every origin the server allows today.
# Run it as: bash add_cors_origin.sh https://shop.example.com
set -euo pipefail
origin="$1"
config="$UNLEASH_URL/api/admin/ui-config"

# Read the list the server has, add the origin unless it is there already, and post the list back.
curl --silent --fail-with-body "$config" -H "Authorization: $UNLEASH_ADMIN_TOKEN" \
  | jq --arg origin "$origin" \
      '{frontendApiOrigins: (.frontendApiOrigins | if index([$origin]) then . else . + [$origin] end)}' \
  | curl --silent --fail-with-body --output /dev/null --write-out '%{http_code}\n' \
      -X POST "$config/cors" -H "Authorization: $UNLEASH_ADMIN_TOKEN" \
      -H "Content-Type: application/json" --data @-

# Reading the configuration again applies the new list at once, and shows it.
curl --silent --fail-with-body "$config" -H "Authorization: $UNLEASH_ADMIN_TOKEN" \
  | jq --compact-output '.frontendApiOrigins'
