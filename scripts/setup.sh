#!/usr/bin/env bash
# Installs what the portal needs on a Debian 12 machine. Idempotent: a second run changes nothing.
#   system packages (as root, only those missing): PostgreSQL, Redis, strongSwan, iproute2, Chromium
#   Python packages: a virtual environment in .venv from the hash-pinned requirements.lock
set -euo pipefail
cd "$(dirname "$0")/.."

# libstrongswan-standard-plugins holds charon's openssl and gcm plugins (ECP/GCM proposals); it is
# only a recommendation of strongswan-charon, so it is named here.
# strongswan-starter: the lab proves the ipsec.conf download with starter and stroke.
PACKAGES=(postgresql redis-server strongswan-charon strongswan-swanctl libcharon-extra-plugins
          libstrongswan-standard-plugins libstrongswan-extra-plugins strongswan-starter iproute2
          iputils-ping chromium)
# The interpreter of the virtual environment: PYTHON=python3.12 make setup picks another one.
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then PACKAGES+=(python3-venv); fi
# npm (for axe-core) may come with another nodejs build; ask for Debian's only when it is absent.
if ! command -v npm >/dev/null; then PACKAGES+=(npm); fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: not root, so not installing: ${missing[*]} (the demo falls back to SQLite; the lab needs root)"
  fi
fi

if [ ! -x .venv/bin/python ]; then "$PYTHON" -m venv .venv; fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet --require-hashes -r requirements.lock
  echo "$want" > "$stamp"
fi

# axe-core for the browser accessibility test, pinned by package-lock.json (no npm: it skips).
if command -v npm >/dev/null && [ ! -f node_modules/axe-core/axe.min.js ]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null \
    || echo "setup: npm ci failed, so axe-core is missing and the accessibility test will fail"
fi
