#!/usr/bin/env bash
# Sets up and builds gantry, starts the demo backends (nginx on 127.0.0.1:8081,
# two Socket.IO echo servers on :3001 and :3002) and runs gantry in the
# foreground on conf/demo.toml: http://127.0.0.1:8080/ and https://localhost:8443/
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_TARGET=runtime scripts/setup.sh build
echo "gantry demo: curl http://127.0.0.1:8080/  or open https://localhost:8443/ (self-signed)"
CONFIG="$(pwd)/conf/demo.toml" exec conf/scenario/run.sh
