#!/usr/bin/env bash
# Socket tuning on and off, gantry against HAProxy, connection-per-request.
#
# Every request opens a new client connection (wrk sends "Connection:
# close") and every proxy opens a new backend connection for it (no
# pooling), so the handshake-level options matter: tcp_smart_accept,
# tcp_smart_connect and defer_accept in gantry (module socket_tuning) and
# HAProxy's equivalents (option tcp-smart-accept, option tcp-smart-connect,
# bind ... defer-accept). Four peers run in the same rounds, alternating:
#   gantry-off  gantry-on  haproxy-off  haproxy-on
# Reported: requests/s and the proxy's CPU time per request (utime+stime
# from /proc), medians over the rounds, and the on/off ratios.
#
# Usage: bench/sockopt_bench.sh [-d SECONDS] [-c CONNECTIONS] [-r ROUNDS]
#                               [-g GANTRY] [--quick] [--no-pin] [--keep]
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
duration=10
connections=20
rounds=3
wrk_threads=1
gantry_bin="$repo_dir/build/gantry"
proxy_cpu=1
load_cpu=0
pin=1
xff=0
keep_tmp=0

while [[ $# -gt 0 ]]; do
  case "$1" in
    -d|--duration) duration="$2"; shift 2 ;;
    -c|--connections) connections="$2"; shift 2 ;;
    -r|--rounds) rounds="$2"; shift 2 ;;
    -g|--gantry) gantry_bin="$2"; shift 2 ;;
    --quick) duration=3; rounds=1; shift ;;
    --no-pin) pin=0; shift ;;
    --keep) keep_tmp=1; shift ;;
    -h|--help) sed -n 2,17p "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

# shellcheck source=bench/lib.sh
source "$repo_dir/bench/lib.sh"

check_peers "gantry,haproxy"
setup_pinning "$pin" "$proxy_cpu" "$load_cpu"
bench_init
clk_tck="$(getconf CLK_TCK)"
modules_dir="$(dirname "$gantry_bin")/modules"
[[ -f "$modules_dir/socket_tuning.so" ]] || die "no socket_tuning.so in $modules_dir"

gantry_config() {  # NAME PORT on|off
  local listener backend
  if [[ "$3" == on ]]; then
    listener=$'tcp_smart_accept = true\ndefer_accept = true'
    backend='tcp_smart_connect = true'
  else
    listener='tcp_smart_accept = false'
    backend='tcp_smart_connect = false'
  fi
  cat >"$tmp/$1.toml" <<TOML
workers = 1
modules_dir = "$modules_dir"
[log]
access = "off"
level = "warn"
[[module]]
name = "socket_tuning"
path = "socket_tuning"
[[listener]]
name = "bench"
bind = "127.0.0.1:$2"
[listener.socket_tuning]
$listener
[[backend]]
name = "origin"
servers = [ "127.0.0.1:$backend_port" ]
keepalive = 0
[backend.socket_tuning]
$backend
TOML
}

haproxy_config() {  # NAME PORT on|off
  local accept="no option tcp-smart-accept" connect="no option tcp-smart-connect" defer=""
  if [[ "$3" == on ]]; then
    accept="option tcp-smart-accept"
    connect="option tcp-smart-connect"
    defer=" defer-accept"
  fi
  cat >"$tmp/$1.cfg" <<CFG
global
  nbthread 1
  maxconn 9000
defaults
  mode http
  option http-server-close
  $accept
  $connect
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend bench
  bind 127.0.0.1:$2$defer
  default_backend origin
backend origin
  server s1 127.0.0.1:$backend_port
CFG
}

start_backend
peers=(gantry-off gantry-on haproxy-off haproxy-on)
declare -A port pid
for p in "${peers[@]}"; do
  port[$p]="$(free_port)"
  mode="${p#*-}"
  case "$p" in
    gantry-*)
      gantry_config "$p" "${port[$p]}" "$mode"
      launch "$p" "${on_proxy_cpu[@]}" -- "$gantry_bin" -c "$tmp/$p.toml"
      ;;
    haproxy-*)
      haproxy_config "$p" "${port[$p]}" "$mode"
      launch "$p" "${on_proxy_cpu[@]}" -- haproxy -db -f "$tmp/$p.cfg"
      ;;
  esac
  pid[$p]=$launched_pid
done
for p in "${peers[@]}"; do wait_ready "$p" "${pid[$p]}" "${port[$p]}"; done

echo "# socket tuning on/off, connection-per-request; ${duration}s x $rounds round(s), $connections connections"
echo "# load average before: $(load_average)"
results="$tmp/results.txt"
: >"$results"
for ((r = 1; r <= rounds; r++)); do
  for ((i = 0; i < ${#peers[@]}; i++)); do
    p="${peers[$(((i + r - 1) % ${#peers[@]}))]}"
    out="$tmp/wrk-$p-$r.txt"
    before="$(cpu_ticks "${pid[$p]}")"
    "${on_load_cpu[@]}" wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" --latency \
      -H "Connection: close" "http://127.0.0.1:${port[$p]}/" >"$out" 2>&1 ||
      die "wrk failed against $p"
    sleep 0.2
    after="$(cpu_ticks "${pid[$p]}")"
    read -r req rps p99 bad sock <<<"$(parse_wrk "$out")"
    [[ "$req" != FAIL && "$req" -gt 0 ]] || die "cannot parse wrk output for $p"
    cpu_us="$(awk -v t=$((after - before)) -v hz="$clk_tck" -v n="$req" \
      'BEGIN { printf "%.3f", t * 1000000 / hz / n }')"
    echo "$p $r $rps $cpu_us $((bad + sock)) $p99" >>"$results"
    printf '# round %d %-12s %10s req/s  cpu %7s us/req  errors %s%s\n' "$r" "$p" "$rps" "$cpu_us" \
      "$((bad + sock))" "$(invalid_note $((bad + sock)))"
  done
done
echo "# load average after: $(load_average)"

median() {
  awk -v p="$1" -v c="$2" '$1 == p { print $c }' "$results" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }
errors() { awk -v p="$1" '$1 == p { s += $5 } END { print s + 0 }' "$results"; }
echo
printf '%-12s | %10s | %10s | %6s | %s\n' peer "req/s" "cpu us/req" errors verdict
for p in "${peers[@]}"; do
  printf '%-12s | %10.0f | %10.2f | %6d | %s\n' "$p" "$(median "$p" 3)" "$(median "$p" 4)" \
    "$(errors "$p")" "$(validity "$(errors "$p")")"
done
echo "(INVALID = a round had non-2xx answers or socket errors)"
echo
for p in "${peers[@]}"; do
  key="${p//-/_}"
  metric "${key}_rps" "$(median "$p" 3)" "$(errors "$p")"
  metric "${key}_cpu_us_per_req" "$(median "$p" 4)" "$(errors "$p")"
  echo "${key}_errors=$(errors "$p")"
done
for s in gantry haproxy; do
  e=$(($(errors "$s-on") + $(errors "$s-off")))
  metric "ratio_rps_${s}_on_vs_off" "$(ratio "$(median "$s-on" 3)" "$(median "$s-off" 3)")" "$e"
  metric "ratio_cpu_${s}_on_vs_off" "$(ratio "$(median "$s-on" 4)" "$(median "$s-off" 4)")" "$e"
done
e=$(($(errors gantry-on) + $(errors haproxy-on)))
metric ratio_rps_gantry_vs_haproxy_on "$(ratio "$(median gantry-on 3)" "$(median haproxy-on 3)")" "$e"
metric ratio_cpu_gantry_vs_haproxy_on "$(ratio "$(median gantry-on 4)" "$(median haproxy-on 4)")" "$e"
