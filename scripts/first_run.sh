#!/usr/bin/env bash
# A contributor's first `make test`, as a new machine account makes it: a user who is not root,
# with a home of its own that holds nothing but the download caches (copied from this user's
# project cache, so that nothing is downloaded twice: uv's, npm's and pip's, not the installs),
# in a fresh clone of the committed tree. Its environment is this one's, less what belongs to
# this user or this run (anything naming this home, UNLEASH_*, PYTEST_*, XDG_*, a venv, a
# pyenv): the machine's network settings (proxies, certificates, package indexes) stay, as they
# would for any account on it.
# The run's leftover check fails it on anything the tools create in that home.
# Needs root (it makes the user); the system packages must be there (make test as root installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/first_run.sh makes a user of its own: run it as root (CI does)." >&2
  exit 2
fi
user=docs-first-run
home=$(mktemp -d /tmp/first-run.XXXXXX)
cleanup() {
  pkill -KILL -u "$user" 2>/dev/null || true
  userdel "$user" 2>/dev/null || true
  rm -rf "$home"
}
trap cleanup EXIT
userdel "$user" 2>/dev/null || true  # a run that was killed before its cleanup
useradd --home-dir "$home" --no-create-home --shell /bin/bash "$user"
chmod 755 "$home"
git clone -q "$PWD" "$home/clone"
ours="${UNLEASH_SANDBOX_CACHE:-$HOME/.cache/unleash-api-docs}"
mkdir -p "$home/.cache/unleash-api-docs"
for cache in uv npm-cache pip-cache; do
  if [ -d "$ours/$cache" ]; then cp -a "$ours/$cache" "$home/.cache/unleash-api-docs/"; fi
done
chown -R "$user" "$home"
echo "=== a first make test as $user (home $home: the download caches only) ==="
plain=(HOME="$home" USER="$user" LOGNAME="$user" PATH=/usr/local/bin:/usr/bin:/bin)
while IFS= read -r -d '' entry; do
  name=${entry%%=*}
  case "$name" in
    UNLEASH_* | PYTEST_* | XDG_* | VIRTUAL_ENV | PYENV* | HOME | USER | LOGNAME | PATH | TMPDIR | PWD | OLDPWD | MAKE* | MFLAGS) continue ;;
  esac
  case "${entry#*=}" in *"$HOME"*) continue ;; esac
  plain+=("$entry")
done < <(env -0)
began=$SECONDS
runuser -u "$user" -- env -i "${plain[@]}" bash -c 'cd "$HOME/clone" && make test'
echo "first run as $user: passed in $((SECONDS - began)) s"
