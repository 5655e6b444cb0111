#!/bin/sh
# Usage: install_sdk_test.sh BUILD_DIR SOURCE_DIR
# Installs the SDK component of BUILD_DIR into a temporary prefix, then, with
# nothing but that prefix, configures, builds, tests and installs both SDK
# examples (copied out of the tree first), builds a module with pkg-config
# alone, and checks the package's version compatibility rule.
set -eu
build=$1
src=$2
tmp=$(mktemp -d /tmp/gantry-sdk-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

step() { echo "== $*"; }
fail() { echo "FAIL: $*"; exit 1; }
only_entry() {
  syms=$(nm -D --defined-only "$1" | awk 'NF >= 3 { print $3 }' | sort -u)
  [ "$syms" = "gantry_module_v1" ] || fail "$1 exports: $syms"
}

step "install the SDK to $prefix"
cmake --install "$build" --component sdk --prefix "$prefix"
for f in include/gantry/module.h include/gantry/module.hpp include/gantry/mock_host.hpp \
         include/gantry/mock_toml.hpp include/gantry/cpp/glue.hpp include/gantry/cpp/transport.hpp \
         include/gantry/testing/key_check.hpp include/gantry/testing/mock_host_table.hpp \
         lib/cmake/GantrySDK/GantrySDKConfig.cmake lib/cmake/GantrySDK/GantrySDKConfigVersion.cmake \
         lib/cmake/GantrySDK/GantryModule.cmake lib/cmake/GantrySDK/gantry_module.map \
         lib/pkgconfig/gantry-sdk.pc; do
  [ -f "$prefix/$f" ] || fail "missing $f"
done
# The SDK component is the SDK only: no binary, no modules.
[ ! -e "$prefix/bin" ] || fail "the sdk component installed bin/"

for ex in header_rewrite ratelimit; do
  step "$ex: configure, build, test, install out of tree"
  cp -r "$src/sdk/examples/$ex" "$tmp/$ex"
  cmake -S "$tmp/$ex" -B "$tmp/$ex/build" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$tmp/dest"
  cmake --build "$tmp/$ex/build" -j 2
  (cd "$tmp/$ex/build" && ctest --output-on-failure)
  only_entry "$tmp/$ex/build/$ex.so"
  cmake --install "$tmp/$ex/build"
  [ -f "$tmp/dest/lib/gantry/modules/$ex.so" ] || fail "$ex.so not installed to lib/gantry/modules"
done

step "a module built with pkg-config alone"
PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
export PKG_CONFIG_PATH
# shellcheck disable=SC2046
cc -std=c99 -pedantic -Wall -Wextra -Werror -shared -fPIC $(pkg-config --cflags gantry-sdk) \
   "$src/sdk/examples/header_rewrite/header_rewrite.c" -o "$tmp/hr_pkgconfig.so" \
   $(pkg-config --libs gantry-sdk)
only_entry "$tmp/hr_pkgconfig.so"
[ "$(pkg-config --variable=abi_major gantry-sdk)" = 1 ] || fail "pkg-config abi_major"

step "find_package: major 1 accepted, major 2 refused"
mkdir -p "$tmp/v1" "$tmp/v2"
printf 'cmake_minimum_required(VERSION 3.17)\nproject(v NONE)\nfind_package(GantrySDK 1.0 REQUIRED)\n' \
  > "$tmp/v1/CMakeLists.txt"
printf 'cmake_minimum_required(VERSION 3.17)\nproject(v NONE)\nfind_package(GantrySDK 2 REQUIRED)\n' \
  > "$tmp/v2/CMakeLists.txt"
cmake -S "$tmp/v1" -B "$tmp/v1/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null \
  || fail "find_package(GantrySDK 1.0) failed"
if cmake -S "$tmp/v2" -B "$tmp/v2/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null 2>&1; then
  fail "find_package(GantrySDK 2) accepted an SDK of major 1"
fi
echo "PASS"
