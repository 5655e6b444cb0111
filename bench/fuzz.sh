#!/usr/bin/env bash
# The fuzz campaign: builds the libFuzzer targets of tests/fuzz with clang
# (-DGANTRY_FUZZ=ON, ASan+UBSan, its own build directory), runs each for a
# while, and reports per target executions, executions per second, coverage
# (cov and ft of libFuzzer's last status line), corpus size and crashes, then
# the same as metric=value lines.
#
# Each target starts from its committed corpus (tests/fuzz/corpus/<target>)
# and writes what it finds to <out>/<target>/corpus; crash, leak, timeout and
# OOM reproducers land in <out>/<target>/. Flags of a target are in
# tests/fuzz/options/<target>.options; the open findings of
# tests/fuzz/open_findings.txt are passed as $GANTRY_FUZZ_OPEN so that a run
# looks past them (--no-open: report them as crashes).
#
# Not part of CI. Usage: bench/fuzz.sh [options]   (see --help)
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

seconds=600
runs=-1
targets=""
build_dir="$repo_dir/build-fuzz"
out_dir=""
jobs=2
open=1
build=1

usage() {
  cat <<EOF
Usage: $0 [options]
  -m, --minutes M        run each target M minutes (default $((seconds / 60)))
  -s, --seconds S        run each target S seconds
  -n, --runs N           stop a target after N executions, if that comes first
  -t, --targets LIST     comma-separated subset (default: every *_fuzz.cc of tests/fuzz)
  -b, --build-dir DIR    clang build directory (default build-fuzz in the repo)
  -o, --out DIR          where corpora, artifacts and logs go (default DIR/fuzz-runs/<time>)
  -j, --jobs N           build jobs (default $jobs)
      --no-build         use the executables already in the build directory
      --no-open          do not forgive the open findings: they count as crashes
  -h, --help

Examples:
  $0 --seconds 20                      # a smoke run of every target
  $0 --minutes 600 --runs 10000000     # the long run: 10 million executions each
  $0 -t http_diff,http_request -m 30
EOF
}

die() { echo "${0##*/}: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    -m|--minutes) seconds=$(awk -v m="$2" 'BEGIN { printf "%d", m * 60 }'); shift 2 ;;
    -s|--seconds) seconds="$2"; shift 2 ;;
    -n|--runs) runs="$2"; shift 2 ;;
    -t|--targets) targets="$2"; shift 2 ;;
    -b|--build-dir) build_dir="$2"; shift 2 ;;
    -o|--out) out_dir="$2"; shift 2 ;;
    -j|--jobs) jobs="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --no-open) open=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || die "the run time must be at least one second"
[[ "$runs" =~ ^-?[0-9]+$ ]] || die "--runs takes a number"

# Debian's clang and its libFuzzer runtime; this script alone needs them.
install_packages() {
  local missing=() p
  while read -r p; do
    [[ -z "$p" || "$p" == \#* ]] && continue
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done <"$repo_dir/bench/fuzz-packages.txt"
  [[ ${#missing[@]} -eq 0 ]] && return
  ((EUID == 0)) || die "missing packages: ${missing[*]} (run as root, or apt-get install them)"
  echo "# installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; }
}

if [[ -z "$targets" ]]; then
  targets="$(cd "$repo_dir/tests/fuzz" && ls -1 *_fuzz.cc | sed 's/_fuzz\.cc$//' | paste -sd, -)"
fi
IFS=',' read -r -a target_list <<<"$targets"
for t in "${target_list[@]}"; do
  [[ -f "$repo_dir/tests/fuzz/${t}_fuzz.cc" ]] || die "no target $t (tests/fuzz/${t}_fuzz.cc)"
done

if ((build)); then
  install_packages
  CC=clang CXX=clang++ cmake -S "$repo_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DGANTRY_FUZZ=ON -DGANTRY_SANITIZE=ON -DGANTRY_BENCH=OFF >/dev/null
  cmake --build "$build_dir" -j"$jobs" --target "${target_list[@]/%/_fuzz}" >/dev/null
fi

out_dir="${out_dir:-$build_dir/fuzz-runs/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"

# The same list CMake hands the replay tests.
open_list=""
if ((open)); then
  open_list="$(grep -E '^[a-z_]+:' "$repo_dir/tests/fuzz/open_findings.txt" | awk '{ print $1 }' | paste -sd, -)"
fi
export GANTRY_FUZZ_OPEN="$open_list"
# UBSan findings stop the run like ASan's, and count as crashes.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

# NAME: runs one target; prints "execs exec_per_s cov ft corpus crashes status".
run_target() {
  local t="$1" dir="$out_dir/$1" bin="$build_dir/${1}_fuzz" flags=() rc=0
  [[ -x "$bin" ]] || die "no $bin (build it, or drop --no-build)"
  mkdir -p "$dir/corpus"
  if [[ -f "$repo_dir/tests/fuzz/options/$t.options" ]]; then
    mapfile -t flags < <(grep -E '^-' "$repo_dir/tests/fuzz/options/$t.options")
  fi
  "$bin" -max_total_time="$seconds" -runs="$runs" -print_final_stats=1 \
    -artifact_prefix="$dir/" "${flags[@]}" "$dir/corpus" "$repo_dir/tests/fuzz/corpus/$t" \
    >"$dir/log" 2>&1 || rc=$?
  awk -v rc="$rc" -v crashes="$(find "$dir" -maxdepth 1 -type f \
      \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)" '
    / cov: / {
      for (i = 1; i < NF; ++i) {
        if ($i == "cov:") cov = $(i + 1)
        if ($i == "ft:") ft = $(i + 1)
        if ($i == "corp:") { corp = $(i + 1); sub(/\/.*/, "", corp) }
      }
    }
    /^stat::number_of_executed_units:/ { execs = $2 }
    /^stat::average_exec_per_sec:/ { speed = $2 }
    END {
      status = crashes > 0 ? "CRASH" : (rc != 0 ? "exit " rc : "ok")
      printf "%d %d %d %d %d %d %s\n", execs, speed, cov, ft, corp, crashes, status
    }' "$dir/log"
}

echo "# fuzz run: ${#target_list[@]} targets, ${seconds} s each$([[ "$runs" != -1 ]] && echo ", at most $runs executions"), output in $out_dir"
[[ -n "$open_list" ]] && echo "# open findings forgiven: $(tr ',' '\n' <<<"$open_list" | wc -l) (tests/fuzz/open_findings.txt)"
printf '%-20s %12s %8s %7s %8s %8s %8s  %s\n' target execs exec/s cov ft corpus crashes status
declare -A result
total_crashes=0
for t in "${target_list[@]}"; do
  result[$t]="$(run_target "$t")"
  read -r execs speed cov ft corp crashes status <<<"${result[$t]}"
  total_crashes=$((total_crashes + crashes))
  printf '%-20s %12d %8d %7d %8d %8d %8d  %s\n' "$t" "$execs" "$speed" "$cov" "$ft" "$corp" "$crashes" "$status"
done

echo
for t in "${target_list[@]}"; do
  read -r execs speed cov ft corp crashes status <<<"${result[$t]}"
  echo "fuzz_${t}_execs=$execs"
  echo "fuzz_${t}_exec_per_sec=$speed"
  echo "fuzz_${t}_cov=$cov"
  echo "fuzz_${t}_ft=$ft"
  echo "fuzz_${t}_corpus=$corp"
  echo "fuzz_${t}_crashes=$crashes"
done
echo "fuzz_total_crashes=$total_crashes"
if ((total_crashes > 0)); then
  echo "# reproducers: $out_dir/<target>/crash-* (replay one with build/<target>_fuzz_replay FILE)" >&2
  exit 1
fi
