#!/bin/sh
# Usage: verify_unit.sh UNIT_FILE GANTRY_BINARY
# Runs `systemd-analyze verify` on a gantry.service. verify insists that
# ExecStart= binaries exist, and a test machine has no /usr/bin/gantry, so
# a copy of the unit names GANTRY_BINARY instead; nothing else changes.
# verify reports unknown keys and bad values as warnings with exit code 0,
# so any output at all fails the check.
set -eu
unit=$1
binary=$2
command -v systemd-analyze >/dev/null || { echo "FAIL: systemd-analyze not installed (package systemd)"; exit 1; }
[ -x "$binary" ] || { echo "FAIL: $binary is not executable"; exit 1; }
tmp=$(mktemp -d /tmp/gantry-unit-verify-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
grep -q '^ExecStart=/usr/bin/gantry ' "$unit" || { echo "FAIL: $unit does not run /usr/bin/gantry"; exit 1; }
sed "s|/usr/bin/gantry|$binary|g" "$unit" > "$tmp/gantry.service"
if ! systemd-analyze verify --man=no "$tmp/gantry.service" > "$tmp/out" 2>&1; then
  cat "$tmp/out"
  echo "FAIL: systemd-analyze verify $unit"
  exit 1
fi
if [ -s "$tmp/out" ]; then
  cat "$tmp/out"
  echo "FAIL: systemd-analyze verify warned about $unit"
  exit 1
fi
echo "systemd-analyze verify: $unit passes"
