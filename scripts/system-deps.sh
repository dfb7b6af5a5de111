#!/usr/bin/env bash
# Installs the Debian packages the sandbox and the tests need, when they are missing.
# As root (as in CI) it runs apt-get; otherwise it says in one line what to install.
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v initdb >/dev/null || missing+=(postgresql)
command -v npm >/dev/null || missing+=(nodejs npm)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v jq >/dev/null || missing+=(jq)  # the shell samples use it, as readers do
# The browser tests' Chromium (site_tools/browser.py), and the full browser for `make lighthouse`
command -v chromium-headless-shell >/dev/null || [ -n "${CHROMIUM_PATH:-}" ] || missing+=(chromium-headless-shell)
command -v chromium >/dev/null || [ -n "${CHROMIUM_PATH:-}" ] || missing+=(chromium)

[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "Missing system packages: ${missing[*]}. Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]}) and run make again." >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
