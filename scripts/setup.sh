#!/usr/bin/env bash
# Installs what Cove needs on a Debian machine, skipping what is already there.
#   scripts/setup.sh          what the app needs: tor and its pluggable transports, and the npm dependencies
#   scripts/setup.sh --test   also everything the tests need: Prosody, dante, Chromium, tcpdump, GnuPG, ...
# Debian packages are installed with apt-get as root. Not root: it lists what is missing and how to install it.
set -euo pipefail
cd "$(dirname "$0")/.."

app_packages=(tor obfs4proxy snowflake-client)
test_packages=(prosody dante-server chromium fonts-noto-color-emoji tcpdump openssl iproute2 util-linux gnupg procps wireguard-tools wireguard-go nftables ejabberd erlang-base)

want=("${app_packages[@]}")
if [[ "${1:-}" == "--test" ]]; then want+=("${test_packages[@]}"); fi

missing=()
for pkg in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then missing+=("$pkg"); fi
done

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: install them as root: apt-get update && apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "setup: Node.js (>= 20.19) and npm are needed: apt-get install nodejs npm, or see https://nodejs.org" >&2
  exit 1
fi

# npm ci when node_modules is missing or older than the lockfile. The npm scripts then run on the Node 22 that
# the `node` dev dependency installs (some dependencies need it); the system Node only runs npm itself.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: ready"
