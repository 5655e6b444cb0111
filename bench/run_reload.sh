#!/usr/bin/env bash
# Figure 5 of shared/design/BENCHMARKS.md: reload under load.
#
# For each proxy in turn: wrk runs keep-alive requests for 20 s while the
# proxy is told to reload its config every second (gantry: SIGHUP after its
# config file changed; nginx: SIGHUP; HAProxy in master-worker mode: SIGUSR2).
# Counted: requests that failed — non-2xx answers plus wrk socket errors
# (connect, read, write, timeout). gantry's target is zero.
#
# Same backend, pinning and proxy configs as bench/run_proxy.sh.
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

duration=20
connections=50
interval=1
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
  -g, --gantry PATH          gantry binary (default build/gantry in the repo)
  -p, --peers LIST           comma-separated subset of gantry,haproxy,nginx
      --quick                smoke run: 5 s
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
    --quick) duration=5; shift ;;
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

for n in "$duration" "$connections" "$interval"; do
  [[ "$n" =~ ^[0-9]+$ && "$n" -ge 1 ]] || die "not a whole number >= 1: $n"
done

check_peers "$peers"
setup_pinning "$pin" "$proxy_cpu" "$load_cpu"
bench_init
start_backend

echo "# figure 5: reload under load"
echo "# peers: ${peer_list[*]}; ${duration}s of wrk, $connections connections, a reload every ${interval}s"
if ((pin)); then
  echo "# pinning: proxies on CPU $proxy_cpu; wrk and backend nginx on CPU $load_cpu"
fi
echo "# load average before the run: $(load_average)"

declare -A reloads applied requests bad sock sock_detail alive

for p in "${peer_list[@]}"; do
  # One proxy at a time: old processes draining after a reload must not
  # steal CPU from the next peer.
  start_peer "$p" master-worker
  wait_ready "$p" "${proxy_pid[$p]}" "${proxy_port[$p]}"
  out="$tmp/wrk-reload-$p.txt"
  start_wrk "${proxy_port[$p]}" "$duration" "$out"
  wrk_pid=$launched_pid
  n=0
  deadline=$((SECONDS + duration - 1))
  while ((SECONDS + interval <= deadline)); do
    sleep "$interval"
    kill -0 "${proxy_pid[$p]}" 2>/dev/null || break
    n=$((n + 1))
    reload_peer "$p" "$n"
  done
  wait "$wrk_pid" || die "wrk failed against $p: $(tail -n 3 "$out")"
  # Still serving after all those reloads?
  code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:${proxy_port[$p]}/" || true)"
  alive[$p]=$([[ "$code" == 200 ]] && echo yes || echo "no ($code)")
  read -r req _ _ b s <<<"$(parse_wrk "$out")"
  [[ "$req" != FAIL ]] || die "cannot parse wrk output for $p: $(cat "$out")"
  reloads[$p]=$n
  requests[$p]=$req
  bad[$p]=$b
  sock[$p]=$s
  sock_detail[$p]="$(sed -n 's/.*Socket errors: *//p' "$out")"
  stop_peer "$p"
  applied[$p]="$(reloads_applied "$p")"
  printf '# %-8s %d reloads (%s applied), %d requests, %d non-2xx, %d socket errors %s\n' \
    "$p" "$n" "${applied[$p]}" "$req" "$b" "$s" "${sock_detail[$p]:+(${sock_detail[$p]})}"
done

echo
printf '%-8s | %7s | %7s | %10s | %7s | %13s | %6s | %s\n' proxy reloads applied requests non-2xx \
  "socket errors" failed "serving after"
printf '%s\n' "---------+---------+---------+------------+---------+---------------+--------+--------------"
for p in "${peer_list[@]}"; do
  printf '%-8s | %7d | %7d | %10d | %7d | %13d | %6d | %s\n' "$p" "${reloads[$p]}" "${applied[$p]}" \
    "${requests[$p]}" \
    "${bad[$p]}" "${sock[$p]}" $((bad[$p] + sock[$p])) "${alive[$p]}"
done
echo

echo "duration_s=$duration"
echo "connections=$connections"
echo "reload_interval_s=$interval"
for p in "${peer_list[@]}"; do
  echo "${p}_reloads=${reloads[$p]}"
  echo "${p}_reloads_applied=${applied[$p]}"
  echo "${p}_reload_requests=${requests[$p]}"
  echo "${p}_reload_non2xx=${bad[$p]}"
  echo "${p}_reload_socket_errors=${sock[$p]}"
  echo "${p}_reload_failed=$((bad[$p] + sock[$p]))"
  echo "${p}_reload_serving_after=$([[ "${alive[$p]}" == yes ]] && echo 1 || echo 0)"
done
