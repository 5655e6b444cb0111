#!/usr/bin/env bash
# The founding scenario, as a user runs it: builds gantry if needed, writes a
# self-signed certificate into conf/scenario/certs/, starts two Socket.IO echo
# servers (node, 127.0.0.1:3001 and :3002) and nginx serving www/ on
# 127.0.0.1:8081, then runs gantry in the foreground on conf/gantry.toml.
# Open https://localhost:8443/ and accept the certificate warning.
# Env: BUILD_DIR (default build), GANTRY (default $BUILD_DIR/gantry),
# CONFIG (default conf/gantry.toml; scripts/run-demo.sh uses conf/demo.toml).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
BUILD_DIR=${BUILD_DIR:-build}
GANTRY=${GANTRY:-$BUILD_DIR/gantry}
CONFIG=${CONFIG:-$root/conf/gantry.toml}
peers=$root/tests/integration/node

if [ ! -x "$GANTRY" ] || [ ! -d "$peers/node_modules" ]; then
  BUILD_TARGET=runtime scripts/setup.sh "$BUILD_DIR"
fi
if [ ! -d "$peers/node_modules" ]; then
  (cd "$peers" && npm install --no-audit --no-fund --silent)
fi
if [ ! -s "$here/certs/server.pem" ]; then
  "$here/make_certs.sh" "$here/certs"
fi

run=$(mktemp -d /tmp/gantry-scenario.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$run"
}
trap cleanup EXIT INT TERM

sed -e "s|@RUN@|$run|g" -e "s|@WWW@|$here/www|g" "$here/nginx.conf" > "$run/nginx.conf"
nginx -c "$run/nginx.conf" &
pids+=($!)
for name in A B; do
  port=$([ "$name" = A ] && echo 3001 || echo 3002)
  node "$peers/sio_echo_server.js" --name "$name" --port "$port" > "$run/sio-$name.log" 2>&1 &
  pids+=($!)
done
# Wait until every backend listens, so the first page load works.
for port in 8081 3001 3002; do
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
done

echo "gantry scenario: https://localhost:8443/  (backend logs in $run; Ctrl-C stops it)"
"$GANTRY" -c "$CONFIG"
