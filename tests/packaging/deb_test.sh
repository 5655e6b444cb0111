#!/bin/sh
# Usage: deb_test.sh BUILD_DIR SOURCE_DIR OUT_DIR
# The Debian packages as an operator receives them. CPack builds gantry and
# gantry-dev from BUILD_DIR (packaging/CMakeLists.txt) into OUT_DIR, where
# lintian_test.sh finds them; their control data and file lists are checked;
# both are unpacked with dpkg-deb -x into a temporary root, where
#   - the packaged binary finds the packaged modules (<exe>/../lib/gantry/modules);
#   - the package's postinst creates the gantry user, and `gantry -t` passes on
#     the shipped /etc/gantry/gantry.toml;
#   - the packaged binary serves a request with the shipped config;
#   - the packaged unit passes systemd-analyze verify;
#   - the SDK from gantry-dev builds a module that the packaged binary loads.
# `dpkg -i` is not used: it would change the machine running the tests, and a
# throwaway root for it needs a chroot with a whole Debian inside. The
# postinst runs in a private mount namespace on a copy of /etc instead, so
# the machine's own users are never touched.
set -eu
build=$1
src=$2
out=$3
tmp=$(mktemp -d /tmp/gantry-deb-test-XXXXXX)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
start=$(date +%s)
step() { echo "== [$(( $(date +%s) - start ))s] $*"; }
fail() { echo "FAIL: $*"; exit 1; }
has_line() { grep -qxF "$2" "$1" || fail "$3: missing $2"; }

step "cpack: the DEB packages from $build"
rm -rf "$out"
(cd "$build" && cpack -G DEB -B "$out") > "$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; fail "cpack"; }
rm -rf "$out/_CPack_Packages"
set -- "$out"/gantry_*.deb
[ $# -eq 1 ] && [ -f "$1" ] || fail "expected one gantry_*.deb, got: $*"
deb=$1
set -- "$out"/gantry-dev_*.deb
[ $# -eq 1 ] && [ -f "$1" ] || fail "expected one gantry-dev_*.deb, got: $*"
devdeb=$1
echo "$deb"
echo "$devdeb"

step "control data"
[ "$(dpkg-deb -f "$deb" Package)" = gantry ] || fail "Package of $deb"
[ "$(dpkg-deb -f "$devdeb" Package)" = gantry-dev ] || fail "Package of $devdeb"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
# From dpkg-shlibdeps: the libraries the binary and modules link, and adduser
# for the postinst.
for dep in adduser libc6 libstdc++6 libuv1 libcap2 libtomlplusplus3; do
  echo "$depends" | tr ',' '\n' | grep -q "^ *$dep\( \|$\)" || fail "Depends lacks $dep"
done
dpkg-deb -e "$deb" "$tmp/control"
[ "$(cat "$tmp/control/conffiles")" = /etc/gantry/gantry.toml ] || fail "conffiles: $(cat "$tmp/control/conffiles")"
for s in postinst prerm postrm; do
  [ -x "$tmp/control/$s" ] || fail "$s missing or not executable"
done

step "contents"
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|/$||' > "$tmp/gantry.list"
dpkg-deb -c "$devdeb" | awk '{ print $6 }' | sed 's|/$||' > "$tmp/dev.list"
for f in ./usr/bin/gantry ./etc/gantry/gantry.toml ./lib/systemd/system/gantry.service \
         ./usr/share/man/man1/gantry.1.gz ./usr/share/doc/gantry/copyright \
         ./usr/share/doc/gantry/changelog.Debian.gz ./usr/share/doc/gantry/config.md; do
  has_line "$tmp/gantry.list" "$f" gantry
done
# Every module of the source tree, and nothing else, in /usr/lib/gantry/modules.
for m in "$src"/modules/*/CMakeLists.txt; do
  name=$(basename "$(dirname "$m")")
  echo "./usr/lib/gantry/modules/$name.so"
done | sort > "$tmp/modules.want"
grep '^\./usr/lib/gantry/modules/.*\.so$' "$tmp/gantry.list" | sort > "$tmp/modules.got"
diff "$tmp/modules.want" "$tmp/modules.got" || fail "modules in the package differ from modules/"
for f in ./usr/include/gantry/module.h ./usr/include/gantry/module.hpp \
         ./usr/lib/cmake/GantrySDK/GantrySDKConfig.cmake ./usr/lib/pkgconfig/gantry-sdk.pc \
         ./usr/share/doc/gantry-dev/copyright; do
  has_line "$tmp/dev.list" "$f" gantry-dev
done
! grep -q '^\./usr/include' "$tmp/gantry.list" || fail "gantry carries SDK headers"
! grep -q '^\./usr/bin' "$tmp/dev.list" || fail "gantry-dev carries binaries"

step "unpack both into $tmp/root"
root=$tmp/root
dpkg-deb -x "$deb" "$root"
dpkg-deb -x "$devdeb" "$root"
gantry=$root/usr/bin/gantry
"$gantry" -v | grep -q '^gantry ' || fail "gantry -v"
"$gantry" modules > "$tmp/modules.out"
grep -c "^$root/usr/bin/../lib/gantry/modules/.*\.so$" "$tmp/modules.out" > "$tmp/n"
[ "$(cat "$tmp/n")" -eq "$(wc -l < "$tmp/modules.want")" ] || { cat "$tmp/modules.out"; fail "gantry modules did not list the packaged modules"; }
! grep -q "NOT LOADABLE" "$tmp/modules.out" || { cat "$tmp/modules.out"; fail "a packaged module does not load"; }

step "postinst, then gantry -t on the shipped config"
conf=$root/etc/gantry/gantry.toml
if unshare -m true 2>/dev/null; then
  cp -a /etc "$tmp/etc"
  # The postinst would run `systemctl daemon-reload` where systemd runs; hide
  # /run/systemd inside the namespace so the host's manager is left alone.
  unshare -m sh -eu -c '
    mount --bind "$1/etc" /etc
    if [ -d /run/systemd ]; then mount -t tmpfs tmpfs /run/systemd; fi
    sh "$1/control/postinst" configure
    sh "$1/control/postinst" configure
    getent passwd gantry | grep -q ":/nonexistent:/usr/sbin/nologin$"
    getent group gantry >/dev/null
    "$2" -t -c "$3"
  ' sh "$tmp" "$gantry" "$conf" > "$tmp/t.out" 2>&1 || { cat "$tmp/t.out"; fail "postinst or gantry -t"; }
  cat "$tmp/t.out"
elif getent passwd gantry >/dev/null; then
  "$gantry" -t -c "$conf" || fail "gantry -t $conf"
else
  echo "note: no mount namespace here and no gantry user: checking the shipped config as nobody"
  sed 's/^user = .*/user = "nobody"/; s/^group = .*/group = "nogroup"/' "$conf" > "$tmp/as-nobody.toml"
  "$gantry" -t -c "$tmp/as-nobody.toml" || fail "gantry -t on the shipped config"
fi

step "the packaged binary serves with the shipped config"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Another port, and no user switch: the host has no gantry user.
sed "s/127\.0\.0\.1:8080/127.0.0.1:$port/; /^user = /d; /^group = /d" "$conf" > "$tmp/run.toml"
grep -q "127.0.0.1:$port" "$tmp/run.toml" || fail "the shipped config has no 127.0.0.1:8080 listener"
"$gantry" -c "$tmp/run.toml" > "$tmp/run.log" 2>&1 &
pid=$!
body=
for _ in $(seq 1 300); do
  body=$(curl -s "http://127.0.0.1:$port/gantry-status" || true)
  [ -n "$body" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
[ "$body" = up ] || { cat "$tmp/run.log"; fail "GET /gantry-status answered '$body'"; }
kill -TERM "$pid"
wait "$pid" || { cat "$tmp/run.log"; fail "gantry did not exit 0 after SIGTERM"; }
pid=

step "systemd-analyze verify on the packaged unit"
sh "$src/tests/packaging/verify_unit.sh" "$root/lib/systemd/system/gantry.service" "$gantry"

step "gantry-dev: a module built with the packaged SDK loads in the packaged binary"
mkdir -p "$tmp/mods"
PKG_CONFIG_PATH=$root/usr/lib/pkgconfig
export PKG_CONFIG_PATH
# shellcheck disable=SC2046
cc -std=c99 -shared -fPIC $(pkg-config --cflags gantry-sdk) "$src/sdk/examples/hello/hello.c" \
   -o "$tmp/mods/hello.so" $(pkg-config --libs gantry-sdk)
"$gantry" modules "$tmp/mods" > "$tmp/hello.out"
grep -q "name: *hello" "$tmp/hello.out" || { cat "$tmp/hello.out"; fail "hello.so does not load"; }
mkdir -p "$tmp/find"
printf 'cmake_minimum_required(VERSION 3.17)\nproject(f NONE)\nfind_package(GantrySDK 1.0 REQUIRED)\nmessage(STATUS "abi ${GantrySDK_ABI_MAJOR}")\n' \
  > "$tmp/find/CMakeLists.txt"
cmake -S "$tmp/find" -B "$tmp/find/build" -DCMAKE_PREFIX_PATH="$root/usr" > "$tmp/find.log" 2>&1 \
  || { cat "$tmp/find.log"; fail "find_package(GantrySDK) from the package"; }
grep -q "abi 1" "$tmp/find.log" || fail "GantrySDK_ABI_MAJOR"

step "PASS"
