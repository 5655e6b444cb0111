#!/usr/bin/env bash
# Figure 4 of shared/design/BENCHMARKS.md: WebSocket.
#
# 1. User-space memory per idle tunnel: a fresh proxy's VmRSS before and after
#    N tunnels (default 8,000) were opened through it and each echoed one
#    message, divided by N.
# 2. Echo round-trip p50/p99 through each proxy against the same echo backend
#    reached directly.
#
# Peers: gantry (websocket module loaded, so upgrades become tunnels), HAProxy
# (mode http tunnels upgrades by itself) and nginx (Upgrade/Connection
# recipe), one worker thread each. Clients and the echo backend are node
# processes (bench/ws_tunnels.js, `ws` from tests/integration/node).
#
# Usage: bench/run_websocket.sh [options]   (see --help)
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

tunnels=8000
inflight=100
echoes=10000
rtt_conns=1
rounds=3
gantry_bin="$repo_dir/build/gantry"
peers="gantry,haproxy,nginx"
proxy_cpu=1
load_cpu=0
pin=1
keep_tmp=0
settle=1

usage() {
  cat <<EOF
Usage: $0 [options]
  -n, --tunnels N            idle tunnels per memory measurement (default $tunnels; fd limit ~20,000)
      --inflight N           tunnels being opened at once (default $inflight)
  -e, --echoes N             echoes per round-trip run (default $echoes)
      --rtt-conns N          connections sharing those echoes, one message in flight each (default $rtt_conns)
  -r, --rounds N             rounds; each round starts every peer fresh (default $rounds)
  -g, --gantry PATH          gantry binary (default build/gantry; modules from PATH's modules/)
  -p, --peers LIST           subset of gantry,haproxy,nginx
      --quick                smoke run: 1,000 tunnels, 2,000 echoes, 1 round
      --proxy-cpu N          CPU for the proxies (default $proxy_cpu)
      --load-cpu N           CPU for the node clients and backend (default $load_cpu)
      --no-pin               do not pin processes to CPUs
      --keep                 keep the temp dir (configs, logs)
  -h, --help
EOF
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    -n|--tunnels) tunnels="$2"; shift 2 ;;
    --inflight) inflight="$2"; shift 2 ;;
    -e|--echoes) echoes="$2"; shift 2 ;;
    --rtt-conns) rtt_conns="$2"; shift 2 ;;
    -r|--rounds) rounds="$2"; shift 2 ;;
    -g|--gantry) gantry_bin="$2"; shift 2 ;;
    -p|--peers) peers="$2"; shift 2 ;;
    --quick) tunnels=1000; echoes=2000; rounds=1; shift ;;
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

for n in "$tunnels" "$inflight" "$echoes" "$rtt_conns" "$rounds"; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "not a whole number: $n"
done
((tunnels >= 1 && inflight >= 1 && echoes >= 1 && rtt_conns >= 1 && rounds >= 1)) ||
  die "tunnels, inflight, echoes, rtt-conns and rounds must be >= 1"

IFS=',' read -r -a peer_list <<<"$peers"
for p in "${peer_list[@]}"; do
  case "$p" in gantry|haproxy|nginx) ;; *) die "unknown peer: $p" ;; esac
done
need node nodejs
need curl curl
need ss iproute2
need pgrep procps
if [[ ",$peers," == *",haproxy,"* ]]; then need haproxy haproxy; fi
if [[ ",$peers," == *",nginx,"* ]]; then need nginx nginx-light; fi
if [[ ",$peers," == *",gantry,"* ]]; then
  [[ -x "$gantry_bin" ]] || die "no gantry binary at $gantry_bin (build target runtime, or --gantry PATH)"
  gantry_bin="$(cd "$(dirname "$gantry_bin")" && pwd)/$(basename "$gantry_bin")"
  [[ -f "$(dirname "$gantry_bin")/modules/websocket.so" ]] ||
    die "no modules/websocket.so next to $gantry_bin"
fi
node_modules="$repo_dir/tests/integration/node/node_modules"
[[ -d "$node_modules/ws" ]] || die "no $node_modules/ws (npm install in tests/integration/node)"
export NODE_PATH="$node_modules"
helper="$repo_dir/bench/ws_tunnels.js"

setup_pinning "$pin" "$proxy_cpu" "$load_cpu"
bench_init   # also raises the soft fd limit to the hard one; children inherit it

fd_limit="$(ulimit -n)"
# Each tunnel holds one fd in the client, two in the proxy, one in the backend.
((2 * tunnels + 100 <= fd_limit)) || die "$tunnels tunnels need $((2 * tunnels + 100)) fds in the proxy; limit is $fd_limit"
if [[ ",$peers," == *",haproxy,"* ]] && ((tunnels + 100 > 9000)); then
  die "HAProxy runs with maxconn 9000 here: at most 8900 tunnels"
fi

# ------------------------------------------------------------ echo backend
# One backend port per proxy and one for direct runs, so that the sockets one
# proxy leaves in TIME_WAIT toward the backend never limit the next one.
declare -A backend_port
for p in "${peer_list[@]}" direct; do backend_port[$p]="$(free_port)"; done
ports=()
for p in "${peer_list[@]}" direct; do ports+=("${backend_port[$p]}"); done
launch echo "${on_load_cpu[@]}" -- node "$helper" server "${ports[@]}"
echo_pid=$launched_pid
for p in "${peer_list[@]}" direct; do wait_ready echo "$echo_pid" "${backend_port[$p]}"; done

# ------------------------------------------------------------ proxies
declare -A proxy_port proxy_pid
maxconn=9000

write_ws_gantry() {  # PORT
  cat >"$tmp/gantry.toml" <<EOF
workers = 1

[log]
access = "off"
level = "warn"

[timeouts]
tunnel = "1h"

[limits]
max_connections = $((fd_limit / 2))

[[module]]
name = "websocket"
path = "websocket"

[[listener]]
name = "ws"
bind = "127.0.0.1:$1"

[[backend]]
name = "echo"
servers = [ "127.0.0.1:${backend_port[gantry]}" ]
EOF
}

write_ws_haproxy() {  # PORT
  cat >"$tmp/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn $maxconn

defaults
  mode http
  maxconn $maxconn
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout tunnel 1h

frontend ws
  bind 127.0.0.1:$1
  default_backend echo

backend echo
  server s1 127.0.0.1:${backend_port[haproxy]} maxconn $maxconn
EOF
}

write_ws_nginx() {  # PORT
  local dir="$tmp/nginx"
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<EOF
$(nginx_user_line)
worker_processes 1;
worker_rlimit_nofile $fd_limit;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log notice;
events { worker_connections $((fd_limit - 100)); }
http {
  access_log off;
$(nginx_temp_paths "$dir")
  map \$http_upgrade \$connection_upgrade {
    default upgrade;
    ''      close;
  }
  server {
    listen 127.0.0.1:$1;
    location / {
      proxy_pass http://127.0.0.1:${backend_port[nginx]};
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
    }
  }
}
EOF
}

start_ws_peer() {  # PEER: a fresh process; sets proxy_port/proxy_pid
  local p="$1" port; port="$(free_port)"
  case "$p" in
    gantry)
      write_ws_gantry "$port"
      launch gantry "${on_proxy_cpu[@]}" -- "$gantry_bin" -c "$tmp/gantry.toml" ;;
    haproxy)
      write_ws_haproxy "$port"
      launch haproxy "${on_proxy_cpu[@]}" -- haproxy -db -f "$tmp/haproxy.cfg" ;;
    nginx)
      write_ws_nginx "$port"
      launch nginx "${on_proxy_cpu[@]}" -- nginx -p "$tmp/nginx" -e "$tmp/nginx/error.log" \
        -c "$tmp/nginx/nginx.conf" ;;
  esac
  proxy_port[$p]=$port
  proxy_pid[$p]=$launched_pid
  wait_ready "$p" "$launched_pid" "$port"
}

rss_kb() {  # PID: VmRSS of a process tree (nginx: master + worker), in kB
  local total=0 pid v
  for pid in $(tree_pids "$1"); do
    v="$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)"
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# NAME PORT: "p50_us p99_us msgs_per_s" of a round-trip run, or dies.
run_rtt() {
  local out="$tmp/rtt-$1-$r.txt"
  "${on_load_cpu[@]}" node "$helper" rtt "ws://127.0.0.1:$2/" "$echoes" "$rtt_conns" >"$out" 2>&1 ||
    die "round-trip run failed against $1: $(tail -n 3 "$out")"
  awk '/^rtt / {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    print v["p50_us"], v["p99_us"], v["msgs_per_s"] }' "$out"
}

# PEER: opens the tunnels, reads the RSS, closes them. Prints
# "rss_before_kb rss_after_kb opened failed still_open_at_the_end
# rss_after_close_kb".
measure_tunnels() {
  local p="$1" pid="${proxy_pid[$1]}" out="$tmp/hold-$1-$r.txt" before after line holder ok=0 held
  sleep "$settle"
  before="$(rss_kb "$pid")"
  "${on_load_cpu[@]}" node "$helper" hold "ws://127.0.0.1:${proxy_port[$p]}/" "$tunnels" "$inflight" >"$out" 2>&1 &
  holder=$!
  started_pids+=("$holder")
  for _ in $(seq 1200); do
    if grep -q '^ready ' "$out"; then ok=1; break; fi
    kill -0 "$holder" 2>/dev/null || break
    sleep 0.1
  done
  ((ok)) || die "tunnels through $p never got ready: $(tail -n 3 "$out")"
  # Let the proxy finish its part of the last echoes before reading its RSS.
  sleep "$settle"
  after="$(rss_kb "$pid")"
  kill -TERM "$holder" 2>/dev/null || true
  wait "$holder" 2>/dev/null || true
  line="$(grep '^ready ' "$out")"
  held="$(awk '/^open_at_end / { print $2 }' "$out")"
  read -r _ opened _ failed _ <<<"$line"
  # What stays resident once every tunnel is closed again (allocator caches,
  # or leaks).
  sleep "$settle"
  echo "$before $after $opened $failed ${held:-0} $(rss_kb "$pid")"
}

results="$tmp/results.txt"   # kind peer round values...
: >"$results"

cat <<EOF
# figure 4: WebSocket tunnels
# peers: ${peer_list[*]}; $tunnels idle tunnels (each echoed one message), $rounds round(s), fresh proxy per round
# round trip: $echoes echoes of 32 bytes over $rtt_conns connection(s), one in flight per connection; also direct to the backend
# clients and echo backend: node $(node --version) (ws $(node -p "require('ws/package.json').version")); fd limit $fd_limit
EOF
if ((pin)); then
  echo "# pinning: proxies on CPU $proxy_cpu; node clients and backend on CPU $load_cpu"
else
  echo "# pinning: off"
fi
echo "# load average before the run: $(load_average)"

n_peers=${#peer_list[@]}
for ((r = 1; r <= rounds; r++)); do
  mps=""
  read -r p50 p99 mps <<<"$(run_rtt direct "${backend_port[direct]}")"
  [[ -n "${mps:-}" ]] || die "no round-trip figures direct to the backend"
  echo "rtt direct $r $p50 $p99 $mps" >>"$results"
  printf '# round %d rtt %-8s p50 %8s us  p99 %8s us  %6s msg/s\n' "$r" direct "$p50" "$p99" "$mps"
  for ((i = 0; i < n_peers; i++)); do
    p="${peer_list[$(((i + r - 1) % n_peers))]}"
    start_ws_peer "$p"
    mps=""
    read -r p50 p99 mps <<<"$(run_rtt "$p" "${proxy_port[$p]}")"
    [[ -n "$mps" ]] || die "no round-trip figures through $p"
    echo "rtt $p $r $p50 $p99 $mps" >>"$results"
    printf '# round %d rtt %-8s p50 %8s us  p99 %8s us  %6s msg/s\n' "$r" "$p" "$p50" "$p99" "$mps"
    closed=""
    read -r before after opened failed held closed <<<"$(measure_tunnels "$p")"
    [[ -n "$closed" ]] || die "no memory figures for $p"
    kill -0 "${proxy_pid[$p]}" 2>/dev/null || die "$p died with the tunnels open (see $tmp/$p.log)"
    ((opened > 0)) || die "no tunnel opened through $p"
    per="$(awk -v a="$after" -v b="$before" -v n="$opened" 'BEGIN { printf "%.0f", (a - b) * 1024 / n }')"
    echo "rss $p $r $per $before $after $opened $failed $held $closed" >>"$results"
    printf '# round %d rss %-8s %6d kB -> %7d kB -> %7d kB closed  %5d tunnels (%d failed, %d still open at the end)  %6s B/tunnel%s\n' \
      "$r" "$p" "$before" "$after" "$closed" "$opened" "$failed" "$held" "$per" \
      "$(invalid_note $((failed + opened - held)))"
    stop_peer "$p"
  done
done
echo "# load average after the run: $(load_average)"

# ------------------------------------------------------------ report
values() { awk -v k="$1" -v p="$2" -v c="$3" '$1 == k && $2 == p { print $c }' "$results" | sort -g; }
median() {
  values "$@" | awk '{ v[NR] = $1 }
    END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
range() { local v; v="$(values "$@")"; echo "[$(head -n 1 <<<"$v")..$(tail -n 1 <<<"$v")]"; }
spread_pct() {
  local v; v="$(values "$@")"
  awk -v lo="$(head -n 1 <<<"$v")" -v hi="$(tail -n 1 <<<"$v")" -v m="$(median "$@")" \
    'BEGIN { if (m > 0) printf "%.1f", (hi - lo) * 100 / m; else print "0" }'
}
sum_col() { awk -v k="$1" -v p="$2" -v c="$3" '$1 == k && $2 == p { s += $c } END { print s + 0 }' "$results"; }
# Tunnels that did not open plus tunnels closed while idle, over all rounds.
failed_tunnels() { echo $(( $(sum_col rss "$1" 8) + $(sum_col rss "$1" 7) - $(sum_col rss "$1" 9) )); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f\n", a / b; else print "nan" }'; }

echo
printf '%-8s | %10s %18s %6s | %9s %20s | %9s %20s | %7s | %s\n' \
  proxy "B/tunnel" "[min..max]" "+-%" "p50 us" "[min..max]" "p99 us" "[min..max]" "failed" verdict
printf '%s\n' "---------+--------------------------------------+--------------------------------+--------------------------------+---------+--------"
for p in "${peer_list[@]}" direct; do
  if [[ "$p" == direct ]]; then
    mem="$(printf '%10s %18s %6s' - - -)"
    failed=-
    verdict=-
  else
    mem="$(printf '%10.0f %18s %5s%%' "$(median rss "$p" 4)" "$(range rss "$p" 4)" "$(spread_pct rss "$p" 4)")"
    failed="$(failed_tunnels "$p")"
    verdict="$(validity "$failed")"
  fi
  printf '%-8s | %s | %9.1f %20s | %9.1f %20s | %7s | %s\n' "$p" "$mem" \
    "$(median rtt "$p" 4)" "$(range rtt "$p" 4)" "$(median rtt "$p" 5)" "$(range rtt "$p" 5)" "$failed" \
    "$verdict"
done
echo "(median over $rounds round(s); B/tunnel = VmRSS delta / tunnels; failed = tunnels not opened + tunnels closed while idle; INVALID = failed > 0)"
echo

echo "tunnels=$tunnels"
echo "echoes=$echoes"
echo "rtt_conns=$rtt_conns"
echo "rounds=$rounds"
for p in "${peer_list[@]}"; do
  e="$(failed_tunnels "$p")"
  metric "${p}_ws_rss_bytes_per_tunnel" "$(median rss "$p" 4)" "$e"
  metric "${p}_ws_rss_bytes_per_tunnel_spread_pct" "$(spread_pct rss "$p" 4)" "$e"
  echo "${p}_ws_tunnels_failed=$(sum_col rss "$p" 8)"
  echo "${p}_ws_tunnels_dropped=$(( $(sum_col rss "$p" 7) - $(sum_col rss "$p" 9) ))"
  metric "${p}_ws_rss_kb_before" "$(median rss "$p" 5)" "$e"
  metric "${p}_ws_rss_kb_with_tunnels" "$(median rss "$p" 6)" "$e"
  metric "${p}_ws_rss_kb_after_close" "$(median rss "$p" 10)" "$e"
done
for p in "${peer_list[@]}" direct; do
  e=0
  if [[ "$p" != direct ]]; then e="$(failed_tunnels "$p")"; fi
  metric "${p}_ws_rtt_p50_us" "$(median rtt "$p" 4)" "$e"
  metric "${p}_ws_rtt_p99_us" "$(median rtt "$p" 5)" "$e"
done
for p in "${peer_list[@]}"; do
  e="$(failed_tunnels "$p")"
  metric "ratio_ws_rtt_p50_${p}_vs_direct" "$(ratio "$(median rtt "$p" 4)" "$(median rtt direct 4)")" "$e"
  metric "ratio_ws_rtt_p99_${p}_vs_direct" "$(ratio "$(median rtt "$p" 5)" "$(median rtt direct 5)")" "$e"
done
if [[ " ${peer_list[*]} " == *" gantry "* ]]; then
  for b in "${peer_list[@]}"; do
    [[ "$b" != gantry ]] || continue
    e=$(($(failed_tunnels gantry) + $(failed_tunnels "$b")))
    metric "ratio_ws_rss_gantry_vs_$b" "$(ratio "$(median rss gantry 4)" "$(median rss "$b" 4)")" "$e"
    metric "ratio_ws_rtt_p50_gantry_vs_$b" "$(ratio "$(median rtt gantry 4)" "$(median rtt "$b" 4)")" "$e"
    metric "ratio_ws_rtt_p99_gantry_vs_$b" "$(ratio "$(median rtt gantry 5)" "$(median rtt "$b" 5)")" "$e"
  done
fi
