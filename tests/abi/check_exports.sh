#!/bin/sh
# Usage: check_exports.sh DIR...
# Every *.so in the given directories must export exactly one defined
# dynamic symbol, gantry_module_v1 (hidden visibility + the SDK's version
# script). Fails if any exports more, lacks it, or no module is found.
set -u
found=0
bad=0
for dir in "$@"; do
  for so in "$dir"/*.so; do
    [ -f "$so" ] || continue
    found=$((found + 1))
    syms=$(nm -D --defined-only "$so" | awk 'NF >= 3 { print $3 }' | sort -u)
    if [ "$syms" != "gantry_module_v1" ]; then
      echo "FAIL $so exports:" $syms
      bad=$((bad + 1))
    else
      echo "ok   $so"
    fi
  done
done
if [ "$found" -eq 0 ]; then
  echo "FAIL no module found in: $*"
  exit 1
fi
[ "$bad" -eq 0 ]
