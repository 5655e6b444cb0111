#!/usr/bin/env bash
# The cost of metrics per keep-alive request, counted in instructions
# rather than timed: gantry runs under valgrind's callgrind (which counts
# every instruction gantry's threads execute, user space only), once with
# metrics off (no [admin]) and once on (admin listener, every exchange
# counted), for two request counts. The difference between the two counts
# removes start-up and shutdown, so
#   Ir/request = (Ir(N2) - Ir(N1)) / (N2 - N1)
# An instruction count does not move with the machine's load, where CPU
# time on a shared 2-core machine moved by +-30% per round: it answers "is
# the overhead under 3%" where timing could not. It says nothing of cache
# misses or system time (metrics add no system call per request: counting
# is plain integer increments in worker-local memory).
#
# Also reported: the instructions of one /metrics scrape.
#
# Usage: bench/metrics_cost.sh [--n1 N] [--n2 N] [--gantry PATH]
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$repo_dir/bench/lib.sh"

n1=1000
n2=6000
gantry_bin="$repo_dir/build/gantry"
xff=1
keep_tmp=0
while (($#)); do
  case "$1" in
    --n1) n1="$2"; shift 2 ;;
    --n2) n2="$2"; shift 2 ;;
    --gantry) gantry_bin="$2"; shift 2 ;;
    --keep-tmp) keep_tmp=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) die "unknown option $1" ;;
  esac
done
((n2 > n1)) || die "--n2 must be larger than --n1"
need valgrind valgrind
need callgrind_annotate valgrind
need curl curl
need nginx nginx

bench_init
on_load_cpu=()
on_proxy_cpu=()
start_backend

# MODE N [SCRAPES]: total instructions of one gantry run serving N
# keep-alive requests (one curl connection), then SCRAPES scrapes of
# /metrics (mode "on" only).
run_once() {
  local mode="$1" n="$2" scrapes="${3:-0}" port admin_port="" name="g_$1_$2_${3:-0}"
  port="$(free_port)"
  if [[ "$mode" == on ]]; then admin_port="$(free_port)"; fi
  write_gantry_config "$port" "$admin_port" "$name"
  launch "$name" -- valgrind --tool=callgrind --callgrind-out-file="$tmp/$name.cg" \
    "$gantry_bin" -c "$tmp/$name.toml"
  local pid=$launched_pid
  wait_ready "$name" "$pid" "$port" http 600
  curl -s -o /dev/null "http://127.0.0.1:$port/bench/[1-$n]"
  for ((i = 0; i < scrapes; i++)); do
    curl -s -o /dev/null "http://127.0.0.1:$admin_port/metrics"
  done
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  callgrind_annotate "$tmp/$name.cg" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); v = $1 } END { print v }'
}

declare -A ir
for mode in off on; do
  for n in "$n1" "$n2"; do
    ir[$mode.$n]="$(run_once "$mode" "$n")"
    echo "# metrics $mode, $n requests (plus wait_ready's): ${ir[$mode.$n]} instructions"
  done
done
scrapes=20
ir_scraped="$(run_once on "$n1" "$scrapes")"
echo "# metrics on, $n1 requests and $scrapes scrapes: $ir_scraped instructions"

per_off=$(( (ir[off.$n2] - ir[off.$n1]) / (n2 - n1) ))
per_on=$(( (ir[on.$n2] - ir[on.$n1]) / (n2 - n1) ))
per_scrape=$(( (ir_scraped - ir[on.$n1]) / scrapes ))
echo "instructions_per_request_metrics_off=$per_off"
echo "instructions_per_request_metrics_on=$per_on"
awk -v on="$per_on" -v off="$per_off" 'BEGIN { printf "ratio_instructions_metrics_on_vs_off=%.4f\n", on / off }'
echo "instructions_per_scrape=$per_scrape"
