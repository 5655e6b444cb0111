#!/bin/sh
# Usage: packaging/build-deb.sh [BUILD_DIR [OUT_DIR]]
# Builds gantry for /usr with Debian's hardening flags, makes the packages
# gantry and gantry-dev with CPack, and runs lintian on them.
#   BUILD_DIR  default build-deb/ (a release tree of its own: no tests, no benches)
#   OUT_DIR    default BUILD_DIR/packages
# Environment: JOBS (parallel build jobs, default: CPUs), GANTRY_DEB_MAINTAINER
# (the Maintainer field; a release sets it), SOURCE_DATE_EPOCH (changelog date).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-deb}
out=${2:-$build/packages}
jobs=${JOBS:-$(nproc)}

# Debian's own compiler and linker flags for packages: fortify, stack
# protector, relro and bind-now (lintian checks for them).
DEB_BUILD_MAINT_OPTIONS=hardening=+all
export DEB_BUILD_MAINT_OPTIONS
eval "$(dpkg-buildflags --export=sh)"
# Given on the command line rather than through the environment, which CMake
# reads only when a build tree is first configured. CMake reads no CPPFLAGS,
# where _FORTIFY_SOURCE lives.
set -- -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
       -DGANTRY_TESTS=OFF -DGANTRY_BENCH=OFF \
       "-DCMAKE_C_FLAGS=$CPPFLAGS $CFLAGS" "-DCMAKE_CXX_FLAGS=$CPPFLAGS $CXXFLAGS" \
       "-DCMAKE_EXE_LINKER_FLAGS=$LDFLAGS" "-DCMAKE_MODULE_LINKER_FLAGS=$LDFLAGS" \
       "-DCMAKE_SHARED_LINKER_FLAGS=$LDFLAGS"
if [ -n "${GANTRY_DEB_MAINTAINER:-}" ]; then
  set -- "$@" "-DGANTRY_DEB_MAINTAINER=$GANTRY_DEB_MAINTAINER"
fi
cmake -S "$src" -B "$build" "$@"
cmake --build "$build" -j"$jobs" --target runtime
mkdir -p "$out"
(cd "$build" && cpack -G DEB -B "$out")
rm -rf "$out/_CPack_Packages"
ls -l "$out"/*.deb

if command -v lintian >/dev/null; then
  # Errors and warnings fail; informational tags are shown. What the
  # packages report on purpose is overridden and explained in README.md.
  echo "lintian:"
  lintian --fail-on error,warning --display-info "$out"/*.deb
else
  echo "lintian is not installed (apt-get install lintian); packages not checked" >&2
fi
