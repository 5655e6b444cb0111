#!/usr/bin/env bash
# Figures 1 and 6 of shared/design/BENCHMARKS.md: keep-alive HTTP/1.1
# proxying, and (--close) a new client connection per request with the
# backend connections pooled.
#
# gantry, HAProxy and nginx, each with one worker thread, proxy to the same
# backend nginx; wrk drives them in turn (alternating, several rounds). For
# each run we record requests/s, p99 latency and the proxy's own CPU time per
# request (utime+stime of the proxy's processes from /proc, before/after),
# with user and system time also shown apart.
#
# CPU pinning: the proxy under test runs on one CPU, wrk and the backend share
# the other, so the proxy never competes with its load for a core and its CPU
# time per request is not inflated by context switches with wrk.
#
# --peers gantry,gantry_metrics compares gantry with metrics off and on (its
# admin listener configured and scraped once a second) in the same run:
# ratio_cpu_metrics_on_vs_off.
#
# Usage: bench/run_proxy.sh [options]   (see --help)
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

duration=10
connections=50
rounds=3
wrk_threads=1
gantry_bin="$repo_dir/build/gantry"
peers="gantry,haproxy,nginx"
proxy_cpu=1
load_cpu=0
pin=1
xff=1
warmup=2
keep_tmp=0
close_mode=0

usage() {
  cat <<EOF
Usage: $0 [options]
  -d, --duration SECONDS     length of each measured wrk run (default $duration)
  -c, --connections N        wrk connections (default $connections)
  -r, --rounds N             rounds; each round runs every peer once (default $rounds)
  -t, --threads N            wrk threads (default $wrk_threads: wrk has one CPU)
  -g, --gantry PATH          gantry binary (default build/gantry in the repo)
  -p, --peers LIST           comma-separated subset of gantry,gantry_metrics,haproxy,nginx
      --quick                smoke run: 2 s, 1 round, 1 s warm-up
      --close                figure 6: "Connection: close" from the client (a new
                             connection per request; backends stay pooled)
      --warmup SECONDS       unmeasured wrk run per peer before the rounds (default $warmup)
      --proxy-cpu N          CPU for the proxies (default $proxy_cpu)
      --load-cpu N           CPU for wrk and the backend (default $load_cpu)
      --no-pin               do not pin processes to CPUs
      --no-xff               no X-Forwarded-For/-Proto on any proxy (default: all add both)
      --keep                 keep the temp dir (configs, logs, raw wrk output)
  -h, --help
EOF
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    -d|--duration) duration="$2"; shift 2 ;;
    -c|--connections) connections="$2"; shift 2 ;;
    -r|--rounds) rounds="$2"; shift 2 ;;
    -t|--threads) wrk_threads="$2"; shift 2 ;;
    -g|--gantry) gantry_bin="$2"; shift 2 ;;
    -p|--peers) peers="$2"; shift 2 ;;
    --quick) duration=2; rounds=1; warmup=1; shift ;;
    --close) close_mode=1; wrk_args=(-H "Connection: close"); shift ;;
    --warmup) warmup="$2"; shift 2 ;;
    --proxy-cpu) proxy_cpu="$2"; shift 2 ;;
    --load-cpu) load_cpu="$2"; shift 2 ;;
    --no-pin) pin=0; shift ;;
    --no-xff) xff=0; shift ;;
    --keep) keep_tmp=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

# shellcheck source=bench/lib.sh
source "$repo_dir/bench/lib.sh"

for n in "$duration" "$connections" "$rounds" "$wrk_threads" "$warmup"; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "not a whole number: $n"
done
((rounds >= 1 && duration >= 1 && connections >= 1)) || die "rounds, duration and connections must be >= 1"

check_peers "$peers"
setup_pinning "$pin" "$proxy_cpu" "$load_cpu"
bench_init
clk_tck="$(getconf CLK_TCK)"

start_backend
for p in "${peer_list[@]}"; do
  start_peer "$p"
done
for p in "${peer_list[@]}"; do
  wait_ready "$p" "${proxy_pid[$p]}" "${proxy_port[$p]}"
done
if [[ -n "${admin_port:-}" ]]; then
  # gantry_metrics is scraped once a second during the whole run, as
  # Prometheus would: the scrapes' cost counts in its CPU time.
  ( while :; do curl -s -o /dev/null "http://127.0.0.1:$admin_port/metrics" || true; sleep 1; done ) &
  started_pids+=("$!")
fi

results="$tmp/results.txt"   # peer round requests rps p99_ms cpu_us errors user_us sys_us
: >"$results"

cat <<EOF
$(if ((close_mode)); then echo "# figure 6: a new client connection per request (Connection: close), backends pooled"; else echo "# figure 1: keep-alive HTTP/1.1 proxying"; fi)
# peers: ${peer_list[*]}; duration ${duration}s, $connections connections, $wrk_threads wrk thread(s), $rounds round(s)
EOF
if ((pin)); then
  echo "# pinning: proxies on CPU $proxy_cpu; wrk and backend nginx on CPU $load_cpu"
else
  echo "# pinning: off"
fi
echo "# X-Forwarded-For/-Proto added by every proxy: $([[ $xff == 1 ]] && echo yes || echo no)"
# Other work on the machine skews every figure; say how busy it was.
echo "# load average before the run: $(load_average)"

if ((warmup > 0)); then
  for p in "${peer_list[@]}"; do
    run_wrk "${proxy_port[$p]}" "$warmup" "$tmp/warmup-$p.txt"
  done
fi

n_peers=${#peer_list[@]}
for ((r = 1; r <= rounds; r++)); do
  # Rotate the order each round so no peer always runs first or last.
  for ((i = 0; i < n_peers; i++)); do
    p="${peer_list[$(((i + r - 1) % n_peers))]}"
    pid="${proxy_pid[$p]}"
    kill -0 "$pid" 2>/dev/null || die "$p died (see its log)"
    out="$tmp/wrk-$p-$r.txt"
    read -r ub sb <<<"$(cpu_ticks_split "$pid")"
    before=$((ub + sb))
    run_wrk "${proxy_port[$p]}" "$duration" "$out" || die "wrk failed against $p: $(tail -n 3 "$out")"
    # Let the proxy finish closing wrk's connections before reading its CPU.
    sleep 0.2
    read -r ua sa <<<"$(cpu_ticks_split "$pid")"
    after=$((ua + sa))
    read -r req rps p99 bad sock <<<"$(parse_wrk "$out")"
    [[ "$req" != FAIL && "$req" -gt 0 ]] || die "cannot parse wrk output for $p: $(cat "$out")"
    err=$((bad + sock))
    cpu_us="$(awk -v t=$((after - before)) -v hz="$clk_tck" -v n="$req" \
      'BEGIN { printf "%.3f", t * 1000000 / hz / n }')"
    per_req() { awk -v t="$1" -v hz="$clk_tck" -v n="$req" 'BEGIN { printf "%.3f", t * 1000000 / hz / n }'; }
    user_us="$(per_req $((ua - ub)))"
    sys_us="$(per_req $((sa - sb)))"
    echo "$p $r $req $rps $p99 $cpu_us $err $user_us $sys_us" >>"$results"
    note=""
    # A clock tick is 10 ms: below 50 ticks the CPU figure is off by over 2%.
    if ((after - before < 50)); then note="  (cpu coarse: $((after - before)) ticks)"; fi
    printf '# round %d %-8s %10s req/s  p99 %8s ms  cpu %7s us/req (user %s, sys %s)  errors %s%s%s\n' \
      "$r" "$p" "$rps" "$p99" "$cpu_us" "$user_us" "$sys_us" "$err" "$note" "$(invalid_note "$err")"
  done
done

# ---------------------------------------------------------------- report
echo "# load average after the run: $(load_average)"
# Column of the results file for one peer, sorted numerically.
values() { awk -v p="$1" -v c="$2" '$1 == p { print $c }' "$results" | sort -g; }
median() {
  values "$1" "$2" | awk '{ v[NR] = $1 }
    END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
vmin() { values "$1" "$2" | head -n 1; }
vmax() { values "$1" "$2" | tail -n 1; }
spread_pct() {
  awk -v lo="$(vmin "$1" "$2")" -v hi="$(vmax "$1" "$2")" -v m="$(median "$1" "$2")" \
    'BEGIN { if (m > 0) printf "%.1f", (hi - lo) * 100 / m; else print "0" }'
}
sum_col() { awk -v p="$1" -v c="$2" '$1 == p { s += $c } END { print s + 0 }' "$results"; }

echo
printf '%-8s | %10s %18s %6s | %8s %16s | %9s %18s %6s | %13s | %6s | %s\n' \
  proxy "req/s" "[min..max]" "+-%" "p99 ms" "[min..max]" "cpu us/req" "[min..max]" "+-%" "user/sys us" errors verdict
printf '%s\n' "---------+--------------------------------------+---------------------------+-------------------------------------+---------------+--------+--------"
for p in "${peer_list[@]}"; do
  printf '%-8s | %10.0f %18s %5s%% | %8.2f %16s | %10.2f %18s %5s%% | %6.2f/%6.2f | %6d | %s\n' "$p" \
    "$(median "$p" 4)" "[$(vmin "$p" 4 | xargs printf '%.0f')..$(vmax "$p" 4 | xargs printf '%.0f')]" "$(spread_pct "$p" 4)" \
    "$(median "$p" 5)" "[$(vmin "$p" 5 | xargs printf '%.2f')..$(vmax "$p" 5 | xargs printf '%.2f')]" \
    "$(median "$p" 6)" "[$(vmin "$p" 6 | xargs printf '%.2f')..$(vmax "$p" 6 | xargs printf '%.2f')]" "$(spread_pct "$p" 6)" \
    "$(median "$p" 8)" "$(median "$p" 9)" \
    "$(sum_col "$p" 7)" "$(validity "$(sum_col "$p" 7)")"
done
echo "(median over $rounds round(s); +-% = (max - min) / median; INVALID = a round had non-2xx answers or socket errors)"
echo

echo "duration_s=$duration"
echo "connections=$connections"
echo "rounds=$rounds"
for p in "${peer_list[@]}"; do
  e="$(sum_col "$p" 7)"
  metric "${p}_rps" "$(median "$p" 4)" "$e"
  metric "${p}_rps_spread_pct" "$(spread_pct "$p" 4)" "$e"
  metric "${p}_p99_ms" "$(median "$p" 5)" "$e"
  metric "${p}_cpu_us_per_req" "$(median "$p" 6)" "$e"
  metric "${p}_cpu_us_per_req_spread_pct" "$(spread_pct "$p" 6)" "$e"
  metric "${p}_user_us_per_req" "$(median "$p" 8)" "$e"
  metric "${p}_sys_us_per_req" "$(median "$p" 9)" "$e"
  echo "${p}_errors=$e"
done
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f\n", a / b; else print "nan" }'
}
for a in "${peer_list[@]}"; do
  for b in "${peer_list[@]}"; do
    [[ "$a" == gantry && "$b" != gantry ]] || continue
    e=$(($(sum_col gantry 7) + $(sum_col "$b" 7)))
    metric "ratio_cpu_gantry_vs_$b" "$(ratio "$(median gantry 6)" "$(median "$b" 6)")" "$e"
    metric "ratio_rps_gantry_vs_$b" "$(ratio "$(median gantry 4)" "$(median "$b" 4)")" "$e"
    metric "ratio_user_gantry_vs_$b" "$(ratio "$(median gantry 8)" "$(median "$b" 8)")" "$e"
  done
done
if [[ " ${peer_list[*]} " == *" gantry "* && " ${peer_list[*]} " == *" gantry_metrics "* ]]; then
  # The cost of metrics: CPU per request with the admin listener on (every
  # exchange counted, scraped once a second) over the same gantry without.
  metric ratio_cpu_metrics_on_vs_off "$(ratio "$(median gantry_metrics 6)" "$(median gantry 6)")" \
    $(($(sum_col gantry_metrics 7) + $(sum_col gantry 7)))
fi
if [[ " ${peer_list[*]} " == *" haproxy "* && " ${peer_list[*]} " == *" nginx "* ]]; then
  metric ratio_cpu_nginx_vs_haproxy "$(ratio "$(median nginx 6)" "$(median haproxy 6)")" \
    $(($(sum_col nginx 7) + $(sum_col haproxy 7)))
fi
