#!/usr/bin/env bash
# Installs what gantry needs to build and test (Debian 12, as root), then
# configures and builds it into build/ (or $1). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
shift || true

# A full build runs the tests, which need a few more packages than the demo.
lists=(scripts/packages.txt)
[ -n "${BUILD_TARGET:-}" ] || lists+=(scripts/packages-tests.txt)
mapfile -t pkgs < <(cat "${lists[@]}" | grep -v '^\s*#' | sed '/^\s*$/d' | sort -u)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm serve the JavaScript test peers (socket.io); a machine that
# already has a node from elsewhere keeps it.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Debian starts these services on install; gantry's tests and demo run their own.
for svc in nginx haproxy; do
  if [ -x "/etc/init.d/$svc" ]; then "/etc/init.d/$svc" stop >/dev/null 2>&1 || true; fi
done

if [ -f tests/integration/node/package.json ] && [ ! -d tests/integration/node/node_modules ]; then
  (cd tests/integration/node && npm install --no-audit --no-fund --silent)
fi

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
# BUILD_TARGET=runtime builds only the binary and its modules (the demo).
cmake --build "$BUILD_DIR" -j"$(nproc)" ${BUILD_TARGET:+--target "$BUILD_TARGET"}
