#!/usr/bin/env bash
# Figure 5 of shared/design/BENCHMARKS.md: reload under load.
#
# For each proxy in turn (a fresh process each run, the order rotating from
# rep to rep): wrk runs keep-alive requests for 20 s while the proxy's config
# changes and is reloaded every second, the way each proxy documents it:
# gantry SIGHUP; nginx SIGHUP to the master; HAProxy in master-worker mode
# (-W, master CLI on -S, `expose-fd listeners` so the new worker takes over
# the listening sockets) with `reload` on its master CLI. Each change
# switches the proxy's backend between A and B, and a new connection must see
# the switch, so a reload that did nothing is caught.
# Counted: requests that failed (non-2xx answers plus wrk socket errors:
# connect, read, write, timeout); gantry's target is zero. Medians over the
# reps (default 3).
#
# Same backend, pinning and proxy configs as bench/run_proxy.sh.
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

duration=20
connections=50
interval=1
reps=3
wrk_threads=1
gantry_bin="$repo_dir/build/gantry"
peers="gantry,haproxy,nginx"
proxy_cpu=1
load_cpu=0
pin=1
xff=1
keep_tmp=0
gantry_log_level=info  # its "reload complete" lines count the reloads applied

usage() {
  cat <<EOF
Usage: $0 [options]
  -d, --duration SECONDS     length of the wrk run per proxy (default $duration)
  -c, --connections N        wrk connections (default $connections)
  -i, --interval SECONDS     time between reloads (default $interval)
  -r, --reps N               runs per proxy; medians are reported (default $reps)
  -g, --gantry PATH          gantry binary (default build/gantry in the repo)
  -p, --peers LIST           comma-separated subset of gantry,haproxy,nginx
      --quick                smoke run: 5 s, 1 rep
      --proxy-cpu N          CPU for the proxies (default $proxy_cpu)
      --load-cpu N           CPU for wrk and the backend (default $load_cpu)
      --no-pin               do not pin processes to CPUs
      --keep                 keep the temp dir (configs, logs, raw wrk output)
  -h, --help
EOF
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    -d|--duration) duration="$2"; shift 2 ;;
    -c|--connections) connections="$2"; shift 2 ;;
    -i|--interval) interval="$2"; shift 2 ;;
    -g|--gantry) gantry_bin="$2"; shift 2 ;;
    -p|--peers) peers="$2"; shift 2 ;;
    -r|--reps) reps="$2"; shift 2 ;;
    --quick) duration=5; reps=1; shift ;;
    --proxy-cpu) proxy_cpu="$2"; shift 2 ;;
    --load-cpu) load_cpu="$2"; shift 2 ;;
    --no-pin) pin=0; shift ;;
    --keep) keep_tmp=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

# shellcheck source=bench/lib.sh
source "$repo_dir/bench/lib.sh"

for n in "$duration" "$connections" "$interval" "$reps"; do
  [[ "$n" =~ ^[0-9]+$ && "$n" -ge 1 ]] || die "not a whole number >= 1: $n"
done

check_peers "$peers"
if [[ ",$peers," == *",haproxy,"* ]]; then need python3 python3; fi  # HAProxy's master CLI
setup_pinning "$pin" "$proxy_cpu" "$load_cpu"
bench_init
start_backend

echo "# figure 5: reload under load"
echo "# peers: ${peer_list[*]}; $reps rep(s) of ${duration}s of wrk, $connections connections, a reload every ${interval}s"
echo "# every reload switches the proxy's backend between A and B (same nginx, same body size), and a"
echo "# new connection must see the switch within 5 s; HAProxy runs in master-worker mode (-W -S) with"
echo "# 'expose-fd listeners' and reloads through its master CLI"
if ((pin)); then
  echo "# pinning: proxies on CPU $proxy_cpu; wrk and backend nginx on CPU $load_cpu"
fi
echo "# load average before the run: $(load_average)"

results="$tmp/results.txt"  # peer rep reloads applied verified requests non2xx sock alive
: >"$results"

# PEER REP: one measured run on a fresh proxy.
run_one() {
  local p="$1" r="$2" out="$tmp/wrk-reload-$1-$2.txt" n=0 verified=0 deadline code alive req b s
  upstream=A
  start_peer "$p" master-worker
  wait_ready "$p" "${proxy_pid[$p]}" "${proxy_port[$p]}"
  reload_took "$p" A || die "$p does not answer from backend A at start"
  start_wrk "${proxy_port[$p]}" "$duration" "$out"
  local wrk_pid=$launched_pid t0
  deadline=$((SECONDS + duration - 1))
  while ((SECONDS + interval <= deadline)); do
    t0=$SECONDS
    kill -0 "${proxy_pid[$p]}" 2>/dev/null || break
    n=$((n + 1))
    if ((n % 2)); then upstream=B; else upstream=A; fi
    reload_peer "$p"
    if reload_took "$p" "$upstream"; then verified=$((verified + 1)); fi
    # The next reload comes $interval after this one, however long the check took.
    while ((SECONDS < t0 + interval)); do sleep 0.1; done
  done
  wait "$wrk_pid" || die "wrk failed against $p: $(tail -n 3 "$out")"
  # Still serving after all those reloads?
  code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:${proxy_port[$p]}/" || true)"
  alive=$([[ "$code" == 200 ]] && echo 1 || echo 0)
  read -r req _ _ b s <<<"$(parse_wrk "$out")"
  [[ "$req" != FAIL ]] || die "cannot parse wrk output for $p: $(cat "$out")"
  stop_peer "$p"
  local applied; applied="$(reloads_applied "$p")"
  echo "$p $r $n $applied $verified $req $b $s $alive" >>"$results"
  local errors=$((b + s + n - verified + 1 - alive))
  printf '# rep %d %-8s %d reloads (%s applied, %d seen by a client), %d requests, %d non-2xx, %d socket errors %s%s\n' \
    "$r" "$p" "$n" "$applied" "$verified" "$req" "$b" "$s" \
    "$(sed -n 's/.*Socket errors: *//p' "$out" | sed 's/^/(/; s/$/)/')" "$(invalid_note "$errors")"
}

n_peers=${#peer_list[@]}
for ((r = 1; r <= reps; r++)); do
  # One proxy at a time (old processes draining after a reload must not steal
  # CPU from the next peer), in a rotating order.
  for ((i = 0; i < n_peers; i++)); do
    run_one "${peer_list[$(((i + r - 1) % n_peers))]}" "$r"
  done
done
echo "# load average after the run: $(load_average)"

col() { awk -v p="$1" -v c="$2" '$1 == p { print $c }' "$results"; }
sum_col() { col "$1" "$2" | awk '{ s += $1 } END { print s + 0 }'; }
# Failed requests, unverified reloads and a proxy not serving at the end.
errors_of() {
  awk -v p="$1" '$1 == p { e += $7 + $8 + ($3 - $5) + (1 - $9) } END { print e + 0 }' "$results"
}

echo
printf '%-8s | %7s | %7s | %8s | %10s | %7s | %7s | %6s %6s | %7s | %s\n' proxy reloads applied \
  verified requests non-2xx "sock err" failed "+-%" serving verdict
printf '%s\n' "---------+---------+---------+----------+------------+---------+---------+---------------+---------+--------"
for p in "${peer_list[@]}"; do
  failed_med="$(awk -v p="$p" '$1 == p { print $7 + $8 }' "$results" | median_of)"
  failed_spread="$(awk -v p="$p" '$1 == p { print $7 + $8 }' "$results" | spread_pct_of)"
  printf '%-8s | %7d | %7d | %8d | %10.0f | %7.0f | %7.0f | %6s %5s%% | %3d/%-3d | %s\n' "$p" \
    "$(sum_col "$p" 3)" "$(sum_col "$p" 4)" "$(sum_col "$p" 5)" "$(col "$p" 6 | median_of)" \
    "$(col "$p" 7 | median_of)" "$(col "$p" 8 | median_of)" "$failed_med" "$failed_spread" \
    "$(sum_col "$p" 9)" "$reps" "$(validity "$(errors_of "$p")")"
done
echo "(requests, non-2xx, socket errors and failed: median per run over $reps rep(s); reloads, applied and"
echo " verified: totals; verified = reloads whose new backend a new connection saw within 5 s;"
echo " INVALID = a run had failed requests, an unverified reload, or the proxy stopped serving)"
echo

echo "duration_s=$duration"
echo "connections=$connections"
echo "reload_interval_s=$interval"
echo "reps=$reps"
for p in "${peer_list[@]}"; do
  e="$(errors_of "$p")"
  metric "${p}_reloads" "$(sum_col "$p" 3)" "$e"
  metric "${p}_reloads_applied" "$(sum_col "$p" 4)" "$e"
  metric "${p}_reloads_verified" "$(sum_col "$p" 5)" "$e"
  metric "${p}_reload_requests" "$(col "$p" 6 | median_of)" "$e"
  metric "${p}_reload_non2xx" "$(col "$p" 7 | median_of)" "$e"
  metric "${p}_reload_socket_errors" "$(col "$p" 8 | median_of)" "$e"
  metric "${p}_reload_failed" "$(awk -v p="$p" '$1 == p { print $7 + $8 }' "$results" | median_of)" "$e"
  metric "${p}_reload_failed_total" "$(awk -v p="$p" '$1 == p { s += $7 + $8 } END { print s + 0 }' "$results")" "$e"
  metric "${p}_reload_serving_after" "$(( $(sum_col "$p" 9) == reps ? 1 : 0 ))" "$e"
done
