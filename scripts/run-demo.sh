#!/usr/bin/env bash
# Sets up and builds gantry, starts the demo backend (nginx on 127.0.0.1:8081)
# and runs gantry in the foreground on conf/demo.toml: http://127.0.0.1:8080/
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
BUILD_TARGET=runtime scripts/setup.sh build

run=$(mktemp -d /tmp/gantry-demo.XXXXXX)
mkdir -p "$run/www"
cp conf/demo/index.html "$run/www/"
sed -e "s|@RUN@|$run|g" conf/demo/nginx-backend.conf > "$run/nginx.conf"
nginx -c "$run/nginx.conf" &
backend=$!
trap 'kill $backend 2>/dev/null; rm -rf "$run"' EXIT INT TERM
sleep 0.3

echo "gantry demo: http://127.0.0.1:8080/ (Ctrl-C stops it)"
"$root/build/gantry" -c "$root/conf/demo.toml"
