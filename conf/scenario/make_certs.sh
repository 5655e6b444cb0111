#!/bin/sh
# Writes a self-signed certificate for the scenario into directory $1
# (default: conf/scenario/certs): server.pem and server.key, valid for
# localhost and 127.0.0.1 for 30 days. Browsers will warn: it is a demo.
set -eu
dir=${1:-$(dirname "$0")/certs}
mkdir -p "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$dir/server.key" -out "$dir/server.pem" -days 30 \
  -subj "/O=gantry scenario/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -addext "basicConstraints=critical,CA:FALSE" \
  -addext "extendedKeyUsage=serverAuth" >/dev/null 2>&1
chmod 600 "$dir/server.key"
