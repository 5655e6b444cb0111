#!/usr/bin/env bash
# Figure 1 of shared/design/BENCHMARKS.md: keep-alive HTTP/1.1 proxying.
#
# gantry, HAProxy and nginx, each with one worker thread, proxy to the same
# backend nginx; wrk drives them in turn (alternating, several rounds). For
# each run we record requests/s, p99 latency and the proxy's own CPU time per
# request (utime+stime of the proxy's processes from /proc, before/after).
#
# CPU pinning: the proxy under test runs on one CPU, wrk and the backend share
# the other, so the proxy never competes with its load for a core and its CPU
# time per request is not inflated by context switches with wrk.
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

usage() {
  cat <<EOF
Usage: $0 [options]
  -d, --duration SECONDS     length of each measured wrk run (default $duration)
  -c, --connections N        wrk connections (default $connections)
  -r, --rounds N             rounds; each round runs every peer once (default $rounds)
  -t, --threads N            wrk threads (default $wrk_threads: wrk has one CPU)
  -g, --gantry PATH          gantry binary (default build/gantry in the repo)
  -p, --peers LIST           comma-separated subset of gantry,haproxy,nginx
      --quick                smoke run: 2 s, 1 round, 1 s warm-up
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

die() { echo "run_proxy: $*" >&2; exit 1; }

for n in "$duration" "$connections" "$rounds" "$wrk_threads" "$warmup"; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "not a whole number: $n"
done
((rounds >= 1 && duration >= 1 && connections >= 1)) || die "rounds, duration and connections must be >= 1"

IFS=',' read -r -a peer_list <<<"$peers"
for p in "${peer_list[@]}"; do
  case "$p" in gantry|haproxy|nginx) ;; *) die "unknown peer: $p" ;; esac
done

need() { command -v "$1" >/dev/null 2>&1 || die "missing $1 (apt-get install -y $2)"; }
need wrk wrk
need nginx nginx-light
need curl curl
need ss iproute2
[[ ",$peers," == *",haproxy,"* ]] && need haproxy haproxy
if [[ ",$peers," == *",gantry,"* ]]; then
  [[ -x "$gantry_bin" ]] || die "no gantry binary at $gantry_bin (build it, pass --gantry PATH, or --peers haproxy,nginx)"
  gantry_bin="$(cd "$(dirname "$gantry_bin")" && pwd)/$(basename "$gantry_bin")"
fi

if ((pin)); then
  need taskset util-linux
  ncpu="$(nproc)"
  ((proxy_cpu < ncpu && load_cpu < ncpu)) || die "need CPUs $proxy_cpu and $load_cpu (have $ncpu); use --no-pin"
  on_proxy_cpu=(taskset -c "$proxy_cpu")
  on_load_cpu=(taskset -c "$load_cpu")
else
  on_proxy_cpu=()
  on_load_cpu=()
fi

# Let every server and wrk open enough sockets.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

tmp="$(mktemp -d /tmp/gantry-bench.XXXXXX)"
started_pids=()

cleanup() {
  local pid
  for pid in "${started_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${started_pids[@]}"; do
    for _ in $(seq 20); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if ((keep_tmp)); then
    echo "# temp dir kept: $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A random high loopback port nobody listens on (servers bind it right after).
used_ports=" "
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    [[ "$used_ports" == *" $p "* ]] && continue
    if [[ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ]]; then
      used_ports+="$p "
      echo "$p"
      return
    fi
  done
}

# Waits until a GET through the port answers 200 or the process died.
wait_ready() {
  local name="$1" pid="$2" port="$3" code
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$tmp/$name.log" >&2 || true; die "$name exited at startup"; }
    code="$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$port/" || true)"
    [[ "$code" == 200 ]] && return 0
    sleep 0.1
  done
  tail -n 20 "$tmp/$name.log" >&2 || true
  die "$name does not answer 200 on port $port (last status: $code)"
}

# Usage: launch NAME CPU-PREFIX... -- COMMAND...; sets launched_pid.
launch() {
  local name="$1"; shift
  local prefix=()
  while [[ "$1" != "--" ]]; do prefix+=("$1"); shift; done
  shift
  "${prefix[@]}" "$@" >"$tmp/$name.log" 2>&1 &
  launched_pid=$!
  started_pids+=("$launched_pid")
}

nginx_user_line() { ((EUID == 0)) && echo "user root;" || true; }

# ---------------------------------------------------------------- backend
backend_port="$(free_port)"
mkdir -p "$tmp/backend"
cat >"$tmp/backend/nginx.conf" <<EOF
$(nginx_user_line)
worker_processes 1;
daemon off;
pid $tmp/backend/nginx.pid;
error_log $tmp/backend/error.log warn;
events { worker_connections 10000; }
http {
  access_log off;
  keepalive_timeout 75s;
  keepalive_requests 100000000;
  client_body_temp_path $tmp/backend/body;
  proxy_temp_path $tmp/backend/proxy;
  fastcgi_temp_path $tmp/backend/fastcgi;
  uwsgi_temp_path $tmp/backend/uwsgi;
  scgi_temp_path $tmp/backend/scgi;
  server {
    listen 127.0.0.1:$backend_port;
    default_type text/plain;
    location / { return 200 "hello from the backend\n"; }
  }
}
EOF
launch backend "${on_load_cpu[@]}" -- nginx -p "$tmp/backend" -e "$tmp/backend/error.log" -c "$tmp/backend/nginx.conf"
backend_pid=$launched_pid
wait_ready backend "$backend_pid" "$backend_port"

# ---------------------------------------------------------------- proxies
declare -A proxy_port proxy_pid

start_haproxy() {
  local port; port="$(free_port)"
  local fwd=""
  if ((xff)); then
    fwd="  option forwardfor
  http-request set-header X-Forwarded-Proto http"
  fi
  cat >"$tmp/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 9000

defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s

frontend bench
  bind 127.0.0.1:$port
$fwd
  default_backend origin

backend origin
  server s1 127.0.0.1:$backend_port
EOF
  launch haproxy "${on_proxy_cpu[@]}" -- haproxy -db -f "$tmp/haproxy.cfg"
  proxy_port[haproxy]=$port
  proxy_pid[haproxy]=$launched_pid
}

start_nginx() {
  local port; port="$(free_port)"
  local dir="$tmp/nginx"
  mkdir -p "$dir"
  local fwd=""
  if ((xff)); then
    fwd="      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;"
  fi
  cat >"$dir/nginx.conf" <<EOF
$(nginx_user_line)
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 10000; }
http {
  access_log off;
  keepalive_timeout 60s;
  keepalive_requests 100000000;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  upstream origin {
    server 127.0.0.1:$backend_port;
    keepalive 64;
    keepalive_requests 100000000;
  }
  server {
    listen 127.0.0.1:$port;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
$fwd
    }
  }
}
EOF
  launch nginx "${on_proxy_cpu[@]}" -- nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
  proxy_port[nginx]=$port
  proxy_pid[nginx]=$launched_pid
}

start_gantry() {
  local port; port="$(free_port)"
  local flag=false
  ((xff)) && flag=true
  cat >"$tmp/gantry.toml" <<EOF
workers = 1

[log]
access = "off"
level = "warn"

[proxy]
x_forwarded_for = $flag
x_forwarded_proto = $flag
via = false

[[listener]]
name = "bench"
bind = "127.0.0.1:$port"

[[backend]]
name = "origin"
servers = [ "127.0.0.1:$backend_port" ]
EOF
  launch gantry "${on_proxy_cpu[@]}" -- "$gantry_bin" -c "$tmp/gantry.toml"
  proxy_port[gantry]=$port
  proxy_pid[gantry]=$launched_pid
}

for p in "${peer_list[@]}"; do
  "start_$p"
done
for p in "${peer_list[@]}"; do
  wait_ready "$p" "${proxy_pid[$p]}" "${proxy_port[$p]}"
done

# ---------------------------------------------------------------- measuring
clk_tck="$(getconf CLK_TCK)"

# Every process of a tree (nginx: master and worker).
tree_pids() {
  local pid="$1" child
  echo "$pid"
  for child in $(pgrep -P "$pid" 2>/dev/null || true); do
    tree_pids "$child"
  done
}

# utime+stime in clock ticks of a process tree. /proc/PID/stat of a process
# already sums all its threads. The command name may hold spaces, so fields
# are counted after the closing parenthesis.
cpu_ticks() {
  local total=0 pid rest
  for pid in $(tree_pids "$1"); do
    rest="$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null)" || continue
    # rest: state(3) ppid(4) ... utime(14) stime(15) -> positions 12 and 13 here.
    total=$((total + $(awk '{print $12 + $13}' <<<"$rest")))
  done
  echo "$total"
}

run_wrk() {
  local port="$1" secs="$2" out="$3"
  "${on_load_cpu[@]}" wrk -t"$wrk_threads" -c"$connections" -d"${secs}s" --latency \
    "http://127.0.0.1:$port/" >"$out" 2>&1
}

# Parses a wrk report into "requests rps p99_ms errors".
parse_wrk() {
  awk '
    function to_ms(v,   n, u) {
      n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
      if (u == "us") return n / 1000
      if (u == "ms") return n
      if (u == "s") return n * 1000
      if (u == "m") return n * 60000
      return n
    }
    / requests in / { req = $1 }
    /^Requests\/sec:/ { rps = $2 }
    $1 == "99%" { p99 = to_ms($2) }
    /Non-2xx or 3xx responses:/ { err += $NF }
    /Socket errors:/ {
      line = $0; sub(/.*Socket errors: */, "", line); n = split(line, f, /[ ,]+/)
      for (i = 2; i <= n; i += 2) err += f[i]
    }
    END {
      if (req == "" || rps == "") { print "FAIL"; exit }
      printf "%d %.2f %.3f %d\n", req, rps, p99, err + 0
    }' "$1"
}

results="$tmp/results.txt"   # peer round requests rps p99_ms cpu_us_per_req errors
: >"$results"

cat <<EOF
# figure 1: keep-alive HTTP/1.1 proxying
# peers: ${peer_list[*]}; duration ${duration}s, $connections connections, $wrk_threads wrk thread(s), $rounds round(s)
EOF
if ((pin)); then
  echo "# pinning: proxies on CPU $proxy_cpu; wrk and backend nginx on CPU $load_cpu"
else
  echo "# pinning: off"
fi
echo "# X-Forwarded-For/-Proto added by every proxy: $([[ $xff == 1 ]] && echo yes || echo no)"
# Other work on the machine skews every figure; say how busy it was.
echo "# load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"

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
    before="$(cpu_ticks "$pid")"
    run_wrk "${proxy_port[$p]}" "$duration" "$out" || die "wrk failed against $p: $(tail -n 3 "$out")"
    # Let the proxy finish closing wrk's connections before reading its CPU.
    sleep 0.2
    after="$(cpu_ticks "$pid")"
    read -r req rps p99 err <<<"$(parse_wrk "$out")"
    [[ "$req" != FAIL && "$req" -gt 0 ]] || die "cannot parse wrk output for $p: $(cat "$out")"
    cpu_us="$(awk -v t=$((after - before)) -v hz="$clk_tck" -v n="$req" \
      'BEGIN { printf "%.3f", t * 1000000 / hz / n }')"
    echo "$p $r $req $rps $p99 $cpu_us $err" >>"$results"
    printf '# round %d %-8s %10s req/s  p99 %8s ms  cpu %7s us/req  errors %s\n' \
      "$r" "$p" "$rps" "$p99" "$cpu_us" "$err"
  done
done

# ---------------------------------------------------------------- report
echo "# load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
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
printf '%-8s | %10s %18s %6s | %8s %16s | %9s %18s %6s | %6s\n' \
  proxy "req/s" "[min..max]" "+-%" "p99 ms" "[min..max]" "cpu us/req" "[min..max]" "+-%" errors
printf '%s\n' "---------+--------------------------------------+---------------------------+-------------------------------------+-------"
for p in "${peer_list[@]}"; do
  printf '%-8s | %10.0f %18s %5s%% | %8.2f %16s | %10.2f %18s %5s%% | %6d\n' "$p" \
    "$(median "$p" 4)" "[$(vmin "$p" 4 | xargs printf '%.0f')..$(vmax "$p" 4 | xargs printf '%.0f')]" "$(spread_pct "$p" 4)" \
    "$(median "$p" 5)" "[$(vmin "$p" 5 | xargs printf '%.2f')..$(vmax "$p" 5 | xargs printf '%.2f')]" \
    "$(median "$p" 6)" "[$(vmin "$p" 6 | xargs printf '%.2f')..$(vmax "$p" 6 | xargs printf '%.2f')]" "$(spread_pct "$p" 6)" \
    "$(sum_col "$p" 7)"
done
echo "(median over $rounds round(s); +-% = (max - min) / median)"
echo

echo "duration_s=$duration"
echo "connections=$connections"
echo "rounds=$rounds"
for p in "${peer_list[@]}"; do
  echo "${p}_rps=$(median "$p" 4)"
  echo "${p}_rps_spread_pct=$(spread_pct "$p" 4)"
  echo "${p}_p99_ms=$(median "$p" 5)"
  echo "${p}_cpu_us_per_req=$(median "$p" 6)"
  echo "${p}_cpu_us_per_req_spread_pct=$(spread_pct "$p" 6)"
  echo "${p}_errors=$(sum_col "$p" 7)"
done
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f\n", a / b; else print "nan" }'
}
for a in "${peer_list[@]}"; do
  for b in "${peer_list[@]}"; do
    [[ "$a" == gantry && "$b" != gantry ]] || continue
    echo "ratio_cpu_gantry_vs_$b=$(ratio "$(median gantry 6)" "$(median "$b" 6)")"
    echo "ratio_rps_gantry_vs_$b=$(ratio "$(median gantry 4)" "$(median "$b" 4)")"
  done
done
if [[ " ${peer_list[*]} " == *" haproxy "* && " ${peer_list[*]} " == *" nginx "* ]]; then
  echo "ratio_cpu_nginx_vs_haproxy=$(ratio "$(median nginx 6)" "$(median haproxy 6)")"
fi
