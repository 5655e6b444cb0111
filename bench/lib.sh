# Shared by the bench/run_*.sh scripts (sourced, not run). Starts the backend
# and the three proxies in a temp dir, drives wrk, reads its reports and the
# proxies' CPU time, and kills everything it started on exit.
#
# The sourcing script sets, before calling these functions:
#   keep_tmp (0/1), xff (0/1), gantry_bin, wrk_threads, connections.

die() { echo "${0##*/}: $*" >&2; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || die "missing $1 (apt-get install -y $2)"; }

check_peers() {  # LIST: sets peer_list, checks the tools each peer needs
  IFS=',' read -r -a peer_list <<<"$1"
  local p
  for p in "${peer_list[@]}"; do
    case "$p" in gantry|gantry_metrics|haproxy|nginx) ;; *) die "unknown peer: $p" ;; esac
  done
  need wrk wrk
  need nginx nginx-light
  need curl curl
  need ss iproute2
  need pgrep procps
  if [[ ",$1," == *",haproxy,"* ]]; then need haproxy haproxy; fi
  if [[ ",$1," == *",gantry,"* || ",$1," == *",gantry_metrics,"* ]]; then
    [[ -x "$gantry_bin" ]] ||
      die "no gantry binary at $gantry_bin (build it, pass --gantry PATH, or --peers haproxy,nginx)"
    gantry_bin="$(cd "$(dirname "$gantry_bin")" && pwd)/$(basename "$gantry_bin")"
  fi
}

# PIN PROXY_CPU LOAD_CPU: sets the command prefixes on_proxy_cpu / on_load_cpu.
setup_pinning() {
  if (($1)); then
    need taskset util-linux
    local ncpu; ncpu="$(nproc)"
    (($2 < ncpu && $3 < ncpu)) || die "need CPUs $2 and $3 (have $ncpu); use --no-pin"
    on_proxy_cpu=(taskset -c "$2")
    on_load_cpu=(taskset -c "$3")
  else
    on_proxy_cpu=()
    on_load_cpu=()
  fi
}

started_pids=()

cleanup() {
  local pid
  for pid in "${started_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${started_pids[@]}"; do
    for _ in $(seq 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  [[ -n "${tmp:-}" ]] || return 0
  if ((keep_tmp)); then
    echo "# temp dir kept: $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}

bench_init() {
  # Let every server and wrk open enough sockets.
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  tmp="$(mktemp -d /tmp/gantry-bench.XXXXXX)"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# A loopback port below the kernel's ephemeral range that no socket uses in
# any state. A port in the ephemeral range can be some connection's local
# port (thousands linger in TIME_WAIT after a run), and a proxy started later
# would then fail to bind it.
used_ports=" "
free_port() {
  local lo p
  lo="$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
  ((lo > 20000 + 2000)) || die "ephemeral port range starts at $lo: no room below it"
  while :; do
    p=$((20000 + RANDOM % (lo - 20000)))
    [[ "$used_ports" == *" $p "* ]] && continue
    if [[ -z "$(ss -Hatn "sport = :$p" 2>/dev/null)" ]]; then
      used_ports+="$p "
      echo "$p"
      return
    fi
  done
}

# NAME PID PORT [SCHEME [TRIES]]: waits until a GET on the port answers 200,
# or dies (NAME's log is $tmp/NAME.log). SCHEME is http (default) or https
# (any certificate); TRIES, 0.1 s apart, defaults to 100.
wait_ready() {
  local name="$1" pid="$2" port="$3" scheme="${4:-http}" tries="${5:-100}" code=""
  for _ in $(seq "$tries"); do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$tmp/$name.log" >&2 || true
      die "$name exited at startup"
    fi
    code="$(curl -sk -o /dev/null -m 1 -w '%{http_code}' "$scheme://127.0.0.1:$port/" || true)"
    [[ "$code" == 200 ]] && return 0
    sleep 0.1
  done
  tail -n 20 "$tmp/$name.log" >&2 || true
  die "$name does not answer 200 over $scheme on port $port (last status: $code)"
}

# NAME CPU-PREFIX... -- COMMAND...: runs it in the background with its output
# in $tmp/NAME.log; sets launched_pid (taskset execs, so it is the server's).
launch() {
  local name="$1"; shift
  local prefix=()
  while [[ "$1" != "--" ]]; do prefix+=("$1"); shift; done
  shift
  "${prefix[@]}" "$@" >"$tmp/$name.log" 2>&1 &
  launched_pid=$!
  started_pids+=("$launched_pid")
}

# nginx started as root drops to "nobody", which cannot enter the 0700 temp dir.
nginx_user_line() { if ((EUID == 0)); then echo "user root;"; fi; }

nginx_common() {  # DIR LOG-LEVEL: lines every nginx here shares
  cat <<EOF
$(nginx_user_line)
worker_processes 1;
daemon off;
pid $1/nginx.pid;
error_log $1/error.log $2;
events { worker_connections 10000; }
EOF
}

nginx_temp_paths() {  # DIR
  cat <<EOF
  client_body_temp_path $1/body;
  proxy_temp_path $1/proxy;
  fastcgi_temp_path $1/fastcgi;
  uwsgi_temp_path $1/uwsgi;
  scgi_temp_path $1/scgi;
EOF
}

# Sets backend_port, backend_port_b and backend_pid. Both ports are the same
# nginx; they answer "hello from backend A" and "... B" (same size), so that a
# reload can visibly switch a proxy from one to the other.
start_backend() {
  backend_port="$(free_port)"
  backend_port_b="$(free_port)"
  local dir="$tmp/backend"
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<EOF
$(nginx_common "$dir" warn)
http {
  access_log off;
  keepalive_timeout 75s;
  keepalive_requests 100000000;
$(nginx_temp_paths "$dir")
  server {
    listen 127.0.0.1:$backend_port;
    default_type text/plain;
    location / { return 200 "hello from backend A\n"; }
  }
  server {
    listen 127.0.0.1:$backend_port_b;
    default_type text/plain;
    location / { return 200 "hello from backend B\n"; }
  }
}
EOF
  launch backend "${on_load_cpu[@]}" -- nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
  backend_pid=$launched_pid
  wait_ready backend "$backend_pid" "$backend_port"
  wait_ready backend "$backend_pid" "$backend_port_b"
}

# The backend port the proxies' configs point at: backend A unless a
# reload benchmark switched it (upstream=B).
upstream=A
upstream_port() { if [[ "$upstream" == B ]]; then echo "$backend_port_b"; else echo "$backend_port"; fi; }

declare -A proxy_port proxy_pid

# HAProxy's global and defaults sections for the keep-alive HTTP figures
# (lib.sh, acl_scale.sh, run_tls.sh); arguments are extra global lines.
haproxy_keepalive_head() {
  echo "global"
  echo "  nbthread 1"
  echo "  maxconn 9000"
  local line
  for line in "$@"; do echo "  $line"; done
  cat <<EOF

defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
EOF
}

# HAProxy's documented seamless reload (management.txt, "master-worker"): the
# master hands the listening sockets of the old worker to the new one through
# a stats socket with `expose-fd listeners`, so no connection is refused.
haproxy_master_worker=0
haproxy_globals() {
  if ((haproxy_master_worker)); then
    echo "stats socket $tmp/haproxy.sock mode 600 expose-fd listeners level user"
  fi
}

write_haproxy_config() {  # PORT
  local fwd=""
  if ((xff)); then
    fwd="  option forwardfor
  http-request set-header X-Forwarded-Proto http"
  fi
  cat >"$tmp/haproxy.cfg.new" <<EOF
$(haproxy_keepalive_head "$(haproxy_globals)")

frontend bench
  bind 127.0.0.1:$1
$fwd
  default_backend origin

backend origin
  server s1 127.0.0.1:$(upstream_port)
EOF
  mv -f "$tmp/haproxy.cfg.new" "$tmp/haproxy.cfg"
}

# An nginx http block's opening, proxying to one keep-alive upstream named
# "origin": DIR UPSTREAM-PORT [KEEPALIVE (64)]. The caller adds its server
# blocks and closes the http block.
nginx_proxy_http_head() {
  cat <<EOF
http {
  access_log off;
  keepalive_timeout 60s;
  keepalive_requests 100000000;
$(nginx_temp_paths "$1")
  upstream origin {
    server 127.0.0.1:$2;
    keepalive ${3:-64};
    keepalive_requests 100000000;
  }
EOF
}

write_nginx_config() {  # PORT
  local dir="$tmp/nginx" fwd=""
  mkdir -p "$dir"
  if ((xff)); then
    fwd="      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;"
  fi
  cat >"$dir/nginx.conf.new" <<EOF
$(nginx_common "$dir" notice)
$(nginx_proxy_http_head "$dir" "$(upstream_port)")
  server {
    listen 127.0.0.1:$1;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
$fwd
    }
  }
}
EOF
  mv -f "$dir/nginx.conf.new" "$dir/nginx.conf"
}

write_gantry_config() {  # PORT [ADMIN-PORT [NAME]]: ADMIN-PORT turns metrics on
  local flag=false admin="" name="${3:-gantry}"
  if ((xff)); then flag=true; fi
  if [[ -n "${2:-}" ]]; then admin="$(printf '[admin]\nbind = "127.0.0.1:%s"' "$2")"; fi
  cat >"$tmp/$name.toml.new" <<EOF
workers = 1
$admin
[log]
access = "off"
level = "${gantry_log_level:-warn}"

[proxy]
x_forwarded_for = $flag
x_forwarded_proto = $flag
via = false

[[listener]]
name = "bench"
bind = "127.0.0.1:$1"

[[backend]]
name = "origin"
servers = [ "127.0.0.1:$(upstream_port)" ]
keepalive = 64
EOF
  # Atomic, so a reload never reads a half-written file.
  mv -f "$tmp/$name.toml.new" "$tmp/$name.toml"
}

# PEER [master-worker]: starts one proxy on CPU on_proxy_cpu; sets
# proxy_port[PEER] and proxy_pid[PEER]. HAProxy reloads seamlessly only in
# master-worker mode (-W, with its master CLI on -S), so the reload figure
# asks for it.
start_peer() {
  local p="$1" port; port="$(free_port)"
  case "$p" in
    haproxy)
      local mode=()
      haproxy_master_worker=0
      if [[ "${2:-}" == master-worker ]]; then
        haproxy_master_worker=1
        mode=(-W -S "$tmp/haproxy-master.sock")
      fi
      write_haproxy_config "$port"
      launch haproxy "${on_proxy_cpu[@]}" -- haproxy "${mode[@]}" -db -f "$tmp/haproxy.cfg"
      ;;
    nginx)
      write_nginx_config "$port"
      launch nginx "${on_proxy_cpu[@]}" -- nginx -p "$tmp/nginx" -e "$tmp/nginx/error.log" \
        -c "$tmp/nginx/nginx.conf"
      ;;
    gantry)
      write_gantry_config "$port"
      launch gantry "${on_proxy_cpu[@]}" -- "$gantry_bin" -c "$tmp/gantry.toml"
      ;;
    gantry_metrics)
      # The same gantry with its admin listener on, so every exchange is
      # counted; scrape_metrics reads /metrics once a second meanwhile, as
      # Prometheus would.
      admin_port="$(free_port)"
      write_gantry_config "$port" "$admin_port" gantry_metrics
      launch gantry_metrics "${on_proxy_cpu[@]}" -- "$gantry_bin" -c "$tmp/gantry_metrics.toml"
      ;;
  esac
  proxy_port[$p]=$port
  proxy_pid[$p]=$launched_pid
}

# Every process of a tree (nginx: master and worker; haproxy -W likewise).
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
    [[ -n "$rest" ]] || continue
    # rest starts at field 3 (state), so utime(14) and stime(15) are $12 and $13.
    total=$((total + $(awk '{print $12 + $13}' <<<"$rest")))
  done
  echo "$total"
}

# utime and stime (clock ticks) of a process tree, apart: "USER SYS". The
# kernel's share of a proxied request is much the same for every proxy on
# loopback, so user time is where a proxy shows its own cost.
cpu_ticks_split() {
  local u=0 s=0 pid rest
  for pid in $(tree_pids "$1"); do
    rest="$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null)" || continue
    [[ -n "$rest" ]] || continue
    read -r a b <<<"$(awk '{print $12, $13}' <<<"$rest")"
    u=$((u + a))
    s=$((s + b))
  done
  echo "$u $s"
}

# Extra wrk arguments (e.g. -H "Connection: close"): a script sets wrk_args.
run_wrk() {  # PORT SECONDS OUTFILE
  "${on_load_cpu[@]}" wrk -t"$wrk_threads" -c"$connections" -d"${2}s" --latency ${wrk_args[@]+"${wrk_args[@]}"} \
    "http://127.0.0.1:$1/" >"$3" 2>&1
}

# PORT SECONDS OUTFILE: run_wrk in the background; sets launched_pid to wrk's
# own pid (taskset execs), so cleanup can stop it.
start_wrk() {
  "${on_load_cpu[@]}" wrk -t"$wrk_threads" -c"$connections" -d"${2}s" --latency ${wrk_args[@]+"${wrk_args[@]}"} \
    "http://127.0.0.1:$1/" >"$3" 2>&1 &
  launched_pid=$!
  started_pids+=("$launched_pid")
}

# Parses a wrk report into "requests rps p99_ms non2xx socket_errors", or FAIL.
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
    /Non-2xx or 3xx responses:/ { bad += $NF }
    /Socket errors:/ {
      line = $0; sub(/.*Socket errors: */, "", line); n = split(line, f, /[ ,]+/)
      for (i = 2; i <= n; i += 2) sock += f[i]
    }
    END {
      if (req == "" || rps == "") { print "FAIL"; exit }
      printf "%d %.2f %.3f %d %d\n", req, rps, p99, bad + 0, sock + 0
    }' "$1"
}

load_average() { cut -d' ' -f1-3 /proc/loadavg; }

# ------------------------------------------------------------ validity
# A measurement with errors (non-2xx answers, socket errors, failed handshakes
# or tunnels) is no figure of a proxy's cost: it did less work, or other work,
# than its peers. Such a run is marked INVALID on its line and in the table,
# and its metric lines are named INVALID_<metric>, so that no script that
# reads <metric>= compares it by accident.

# ERRORS: "  INVALID (N errors)" when ERRORS > 0, nothing otherwise.
invalid_note() { if (($1 > 0)); then echo "  INVALID ($1 errors)"; fi; }

# ERRORS: "INVALID" or "ok", for a table column.
validity() { if (($1 > 0)); then echo INVALID; else echo ok; fi; }

# NAME VALUE [ERRORS]: prints NAME=VALUE, or INVALID_NAME=VALUE when ERRORS > 0.
metric() { if ((${3:-0} > 0)); then echo "INVALID_$1=$2"; else echo "$1=$2"; fi; }

# Numbers on stdin: their median (0 for none).
median_of() {
  sort -g | awk '{ v[NR] = $1 }
    END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Numbers on stdin: (max - min) / median in percent, one decimal.
spread_pct_of() {
  sort -g | awk '{ v[NR] = $1 }
    END {
      if (NR == 0) { print 0; exit }
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      if (m > 0) printf "%.1f\n", (v[NR] - v[1]) * 100 / m; else print 0
    }'
}

# PEER: stops one proxy (and forgets its pid, so cleanup never signals a
# recycled pid).
stop_peer() { stop_pid "${proxy_pid[$1]}"; }

# PID: stops a process this script launched and forgets it.
stop_pid() {
  local pid="$1" kept=() q
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for q in "${started_pids[@]}"; do
    if [[ "$q" != "$pid" ]]; then kept+=("$q"); fi
  done
  started_pids=("${kept[@]}")
}

# SOCKET COMMAND: one command to a Unix stream socket (HAProxy's master CLI);
# prints the answer.
unix_command() {
  python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
out = b""
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        out += b
except socket.timeout:
    pass
sys.stdout.write(out.decode(errors="replace"))
PY
}

# PEER: rewrites the proxy's config for the current $upstream and asks it to
# reload the way each one is meant to be reloaded.
reload_peer() {
  local pid="${proxy_pid[$1]}"
  case "$1" in
    gantry)
      write_gantry_config "${proxy_port[gantry]}"
      kill -HUP "$pid"
      ;;
    nginx)  # the master re-reads its file, old workers drain
      write_nginx_config "${proxy_port[nginx]}"
      kill -HUP "$pid"
      ;;
    haproxy)  # master CLI: new worker, listeners passed on, old worker drains
      write_haproxy_config "${proxy_port[haproxy]}"
      unix_command "$tmp/haproxy-master.sock" reload >/dev/null
      ;;
  esac
}

# PEER LABEL: waits (up to 5 s) until a new connection to the proxy is
# answered by backend LABEL, i.e. the reload to that config took. 0 if so.
reload_took() {
  local body
  for _ in $(seq 50); do
    body="$(curl -s -m 1 "http://127.0.0.1:${proxy_port[$1]}/" || true)"
    [[ "$body" == "hello from backend $2" ]] && return 0
    sleep 0.1
  done
  return 1
}

# PEER: how many reloads the proxy reports to have completed, from its log
# (nginx's notice "SIGHUP received", HAProxy's "Loading success" after the
# first, gantry's "reload complete" at level info). Read it after stop_peer:
# a proxy may log its last reload late.
reloads_applied() {
  local n
  case "$1" in
    gantry) n="$(grep -c 'reload complete' "$tmp/gantry.log" || true)" ;;
    nginx) n="$(grep -c 'SIGHUP) received' "$tmp/nginx/error.log" || true)" ;;
    haproxy) n=$(($(grep -c 'Loading success' "$tmp/haproxy.log" || true) - 1)) ;;
  esac
  echo "${n:-0}"
}
