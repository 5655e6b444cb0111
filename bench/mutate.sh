#!/usr/bin/env bash
# Mutation check: does the suite notice the bugs that matter?
#
# Each bench/mutations/*.mut plants one plausible one-line bug:
#   # what the bug is (the first comment line)
#   file=<path in the repository>
#   s=<a sed expression applied to that file>
#   tests=<ctest -R regex: the tests that should notice>
# The script copies the tree to a scratch directory, builds it once, checks
# that the named tests pass there (else their verdicts mean nothing), then for
# each mutation: applies it, rebuilds, runs the named tests, and restores the
# file. Verdicts:
#   killed       a named test failed: the bug is caught
#   SURVIVED     every named test passed with the bug in place
#   NOT-APPLIED  the sed changed nothing (the code moved: update the .mut)
#   STILLBORN    the mutated tree does not build
#   NO-TESTS     the regex selects no test
#
# Not part of CI: a run takes a full build plus about a minute per mutation.
# Usage: bench/mutate.sh [-o SCRATCH] [-j JOBS] [NAME_SUBSTRING...]
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scratch="${TMPDIR:-/tmp}/gantry-mutate"
jobs="$(nproc)"
filters=()

while [[ $# -gt 0 ]]; do
  case "$1" in
    -o|--scratch) scratch="$2"; shift 2 ;;
    -j|--jobs) jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) filters+=("$1"); shift ;;
  esac
done

field() { grep -m1 "^$1=" "$2" | cut -d= -f2-; }

mutations=()
for m in "$repo_dir"/bench/mutations/*.mut; do
  name="$(basename "$m" .mut)"
  if [[ ${#filters[@]} -gt 0 ]]; then
    keep=0
    for f in "${filters[@]}"; do [[ "$name" == *"$f"* ]] && keep=1; done
    ((keep)) || continue
  fi
  mutations+=("$m")
done
[[ ${#mutations[@]} -gt 0 ]] || { echo "mutate: no mutation selected" >&2; exit 2; }

src="$scratch/src"
build="$scratch/build"
logs="$scratch/logs"
mkdir -p "$logs"
echo "# mutate: ${#mutations[@]} mutation(s), scratch $scratch"
# The scratch copy: sources only (node_modules kept for the JavaScript peers).
rm -rf "$src" && mkdir -p "$src"
tar -C "$repo_dir" --exclude='./build*' --exclude='./.git' -cf - . | tar -C "$src" -xf -
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$logs/configure.log"
echo "# building the unmutated copy"
ninja -C "$build" -j"$jobs" >"$logs/build-base.log" 2>&1 ||
  { echo "mutate: the unmutated tree does not build, see $logs/build-base.log" >&2; exit 2; }

# The baseline: every test a mutation names passes before any mutation.
regex="$(for m in "${mutations[@]}"; do field tests "$m"; done | paste -sd'|')"
echo "# baseline: the named tests on the unmutated tree"
if ! (cd "$build" && ctest -R "$regex" -j"$jobs" --timeout 300 >"$logs/baseline.log" 2>&1); then
  echo "mutate: named tests fail without any mutation, see $logs/baseline.log" >&2
  exit 2
fi

printf '%-34s %-11s %-9s %s\n' "mutation" "verdict" "failed" "bug"
survivors=0
for m in "${mutations[@]}"; do
  name="$(basename "$m" .mut)"
  file="$(field file "$m")"
  expr="$(field s "$m")"
  tests="$(field tests "$m")"
  what="$(grep -m1 '^#' "$m" | sed 's/^# *//')"
  target="$src/$file"
  cp "$target" "$logs/orig"
  sed -i -e "$expr" "$target"
  failed="-"
  if cmp -s "$target" "$logs/orig"; then
    verdict="NOT-APPLIED"
  elif ! ninja -C "$build" -j"$jobs" >"$logs/$name.build.log" 2>&1; then
    verdict="STILLBORN"
  elif [[ "$(cd "$build" && ctest -N -R "$tests" | grep -c 'Test *#')" -eq 0 ]]; then
    verdict="NO-TESTS"
  else
    total="$(cd "$build" && ctest -N -R "$tests" | grep -c 'Test *#')"
    if (cd "$build" && ctest -R "$tests" -j"$jobs" --timeout 300 >"$logs/$name.test.log" 2>&1); then
      verdict="SURVIVED"
      failed="0/$total"
    else
      verdict="killed"
      failed="$(grep -cE '\*\*\*(Failed|Timeout|Exception)| Failed ' "$logs/$name.test.log" || true)/$total"
    fi
  fi
  [[ "$verdict" == killed ]] || survivors=$((survivors + 1))
  # Restore, and make the next build see the file as changed again.
  cp "$logs/orig" "$target"
  touch "$target"
  printf '%-34s %-11s %-9s %s\n' "$name" "$verdict" "$failed" "$what"
done
echo "mutations=${#mutations[@]}"
echo "not_killed=$survivors"
echo "# logs in $logs"
[[ $survivors -eq 0 ]]
