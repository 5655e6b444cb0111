#!/bin/sh
# Usage: lintian_test.sh DEB_DIR BUILD_DIR
# lintian on the packages deb_test.sh left in DEB_DIR: any error or warning
# fails. What the packages report on purpose is overridden, with its reason,
# in packaging/debian/*.lintian-overrides and listed in packaging/README.md.
set -eu
dir=$1
build=$2
fail() { echo "FAIL: $*"; exit 1; }
if grep -q '^GANTRY_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
  echo "sanitizer build: lintian judges release packages only; nothing to check"
  exit 0
fi
command -v lintian >/dev/null || fail "lintian not installed (scripts/packages-tests.txt)"
set -- "$dir"/gantry_*.deb "$dir"/gantry-dev_*.deb
for deb in "$@"; do [ -f "$deb" ] || fail "no package $deb (deb_test.sh makes them)"; done
status=0
lintian --fail-on error,warning "$@" > "$dir/lintian.out" 2>&1 || status=$?
grep -v '^running with root privileges' "$dir/lintian.out" || true
[ "$status" -eq 0 ] || fail "lintian on $*"
echo "lintian: no error or warning beyond the explained overrides"
