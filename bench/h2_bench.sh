#!/usr/bin/env bash
# HTTP/2 to clients over TLS (ECDSA P-256), HTTP/1.1 to the same backend
# nginx: gantry with OpenSSL (gantry) and with BoringSSL (gantry-bssl),
# HAProxy 2.6 (`bind ... alpn h2,http/1.1`) and nginx 1.22
# (`http2 on`, keepalive_requests raised), one worker each on the proxy CPU,
# h2load and the backend on the other. For each peer and load shape
# (-c 10 -m 10 and -c 100 -m 1), in alternating rounds: requests/s and the
# proxy's CPU per request (utime+stime of its processes, user and system
# apart). Every proxy keeps up to 256 idle backend connections (HAProxy has
# no cap by default): fewer than the 100 concurrent requests makes the pool
# close and reopen connections. Then the memory of idle HTTP/2 connections:
# RSS growth of the proxy per connection for N connections that did one
# request and wait. RSS growth depends on the heap's history (freed memory
# from the load rounds is reused first), the same for every peer here.
#
# Usage: bench/h2_bench.sh [-n REQUESTS] [-r ROUNDS] [--idle N] [--peers LIST]
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$repo_dir/bench/lib.sh"

requests=100000
rounds=3
idle=1000
peers="gantry,gantry-bssl,haproxy,nginx"
gantry_bin="$repo_dir/build/gantry"
proxy_cpu=1
load_cpu=0
pin=1
xff=1
keep_tmp=0
while (($#)); do
  case "$1" in
    -n) requests="$2"; shift 2 ;;
    -r) rounds="$2"; shift 2 ;;
    --idle) idle="$2"; shift 2 ;;
    -p|--peers) peers="$2"; shift 2 ;;
    --gantry) gantry_bin="$2"; shift 2 ;;
    --no-pin) pin=0; shift ;;
    --keep) keep_tmp=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) die "unknown option $1" ;;
  esac
done
need h2load nghttp2-client
need openssl openssl
need nginx nginx-light
need haproxy haproxy
need /usr/bin/python3 python3

bench_init
setup_pinning "$pin" "$proxy_cpu" "$load_cpu"
start_backend

certs="$tmp/certs"
mkdir -p "$certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=localhost" \
  -addext subjectAltName=DNS:localhost -keyout "$certs/ec.key" -out "$certs/ec.pem" >/dev/null 2>&1
cat "$certs/ec.pem" "$certs/ec.key" >"$certs/ec.both.pem"

start_h2_peer() {  # PEER: sets proxy_port[PEER], proxy_pid[PEER]
  local p="$1" port; port="$(free_port)"
  case "$p" in
    gantry|gantry-bssl)
      # gantry is measured with each TLS provider: OpenSSL (as the anchors)
      # and BoringSSL.
      local provider=tls-openssl module=tls_openssl
      [[ "$p" == gantry-bssl ]] && provider=tls-boringssl module=tls_boringssl
      cat >"$tmp/$p.toml" <<EOF
workers = 1
modules_dir = "$(dirname "$gantry_bin")/modules"
[log]
access = "off"
level = "warn"
[[module]]
name = "$provider"
path = "$module"
[[listener]]
bind = "127.0.0.1:$port"
[listener.tls]
provider = "$provider"
certificates = [ { cert = "$certs/ec.pem", key = "$certs/ec.key" } ]
alpn = ["h2", "http/1.1"]
[http2]
max_requests_per_connection = 0
[[backend]]
name = "origin"
servers = [ "127.0.0.1:$backend_port" ]
keepalive = 256
EOF
      launch "$p" "${on_proxy_cpu[@]}" -- "$gantry_bin" -c "$tmp/$p.toml"
      ;;
    haproxy)
      cat >"$tmp/haproxy.cfg" <<EOF
$(haproxy_keepalive_head)

frontend bench
  bind 127.0.0.1:$port ssl crt $certs/ec.both.pem alpn h2,http/1.1
  option forwardfor
  default_backend origin

backend origin
  server s1 127.0.0.1:$backend_port
EOF
      launch haproxy "${on_proxy_cpu[@]}" -- haproxy -db -f "$tmp/haproxy.cfg"
      ;;
    nginx)
      local dir="$tmp/nginx"
      mkdir -p "$dir"
      cat >"$dir/nginx.conf" <<EOF
$(nginx_common "$dir" notice)
$(nginx_proxy_http_head "$dir" "$backend_port" 256)
  server {
    listen 127.0.0.1:$port ssl;
    http2 on;
    ssl_certificate $certs/ec.pem;
    ssl_certificate_key $certs/ec.key;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
EOF
      # nginx 1.22 has no `http2 on` (1.25.1 added it): `listen ... http2`.
      if ! nginx -t -p "$dir" -c "$dir/nginx.conf" >/dev/null 2>&1; then
        sed -i 's/listen 127.0.0.1:\([0-9]*\) ssl;/listen 127.0.0.1:\1 ssl http2;/; /http2 on;/d' "$dir/nginx.conf"
      fi
      launch nginx "${on_proxy_cpu[@]}" -- nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
      ;;
  esac
  proxy_port[$p]=$port
  proxy_pid[$p]=$launched_pid
  wait_ready "$p" "$launched_pid" "$port" https
}

IFS=, read -r -a peer_list <<<"$peers"
for p in "${peer_list[@]}"; do start_h2_peer "$p"; done
tck=$(getconf CLK_TCK)

echo "# h2load -n $requests, $rounds rounds, ECDSA P-256; proxies on CPU $proxy_cpu, h2load and backend on CPU $load_cpu"
echo "# load: $(load_average)"
printf "%-8s %-14s %10s %10s %10s %10s %s\n" peer shape req/s cpu_us user_us sys_us status
declare -A rps_of cpu_of user_of
for shape in "-c 10 -m 10" "-c 100 -m 1"; do
  for ((r = 1; r <= rounds; r++)); do
    for p in "${peer_list[@]}"; do
      read -r u0 s0 <<<"$(cpu_ticks_split "${proxy_pid[$p]}")"
      # shellcheck disable=SC2086
      "${on_load_cpu[@]}" h2load -n "$requests" $shape "https://localhost:${proxy_port[$p]}/" \
        >"$tmp/h2load.$p.out" 2>&1 || true
      read -r u1 s1 <<<"$(cpu_ticks_split "${proxy_pid[$p]}")"
      rps="$(awk '/^finished in/ { gsub(",", "", $4); print $4 }' "$tmp/h2load.$p.out")"
      ok="$(awk '/^requests:/ { print $8 }' "$tmp/h2load.$p.out")"
      status="ok"
      [[ "$ok" == "$requests" ]] || status="INVALID ($(grep '^requests:' "$tmp/h2load.$p.out"))"
      cpu=$(awk -v a=$((u1 - u0 + s1 - s0)) -v t="$tck" -v n="$requests" 'BEGIN { printf "%.1f", a / t / n * 1e6 }')
      user=$(awk -v a=$((u1 - u0)) -v t="$tck" -v n="$requests" 'BEGIN { printf "%.1f", a / t / n * 1e6 }')
      sys=$(awk -v a=$((s1 - s0)) -v t="$tck" -v n="$requests" 'BEGIN { printf "%.1f", a / t / n * 1e6 }')
      printf "%-8s %-14s %10s %10s %10s %10s %s\n" "$p" "$shape" "${rps:-FAIL}" "$cpu" "$user" "$sys" "$status"
      key="$p|$shape"
      rps_of[$key]+="${rps:-0} "
      cpu_of[$key]+="$cpu "
      user_of[$key]+="$user "
    done
  done
done

med() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "# medians"
for shape in "-c 10 -m 10" "-c 100 -m 1"; do
  tag="${shape// /}"
  for p in "${peer_list[@]}"; do
    key="$p|$shape"
    echo "h2_rps_${p}${tag}=$(med "${rps_of[$key]}") h2_cpu_us_${p}${tag}=$(med "${cpu_of[$key]}") h2_user_us_${p}${tag}=$(med "${user_of[$key]}")"
  done
  for g in gantry gantry-bssl; do
    [[ -n "${rps_of[$g|$shape]:-}" && -n "${rps_of[haproxy|$shape]:-}" ]] || continue
    awk -v a="$(med "${rps_of[$g|$shape]}")" -v b="$(med "${rps_of[haproxy|$shape]}")" \
      -v c="$(med "${cpu_of[$g|$shape]}")" -v d="$(med "${cpu_of[haproxy|$shape]}")" -v t="$tag" -v g="$g" \
      'BEGIN { printf "ratio_rps_%s_vs_haproxy%s=%.3f ratio_cpu_%s_vs_haproxy%s=%.3f\n", g, t, a / b, g, t, c / d }'
  done
done

# Idle connections: each does one request over h2, then waits.
echo "# memory of $idle idle HTTP/2 connections (one request each)"
rss_kb() { local t=0 pid; for pid in $(tree_pids "$1"); do t=$((t + $(awk '/VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0))); done; echo "$t"; }
for p in "${peer_list[@]}"; do
  before=$(rss_kb "${proxy_pid[$p]}")
  /usr/bin/python3 - "${proxy_port[$p]}" "$idle" >"$tmp/idle.$p.out" 2>&1 <<'PY' &
import socket, ssl, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["h2"])
held = []
import hpack
enc = hpack.Encoder()
block = enc.encode([(":method", "GET"), (":scheme", "https"), (":path", "/"), (":authority", "localhost")])
def frame(t, f, s, p=b""):
    return len(p).to_bytes(3, "big") + bytes([t, f]) + s.to_bytes(4, "big") + p
for i in range(n):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
    assert s.selected_alpn_protocol() == "h2"
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0) + frame(1, 5, 1, block))
    s.settimeout(5)
    got = b""
    while b"hello" not in got:
        got += s.recv(65536)
    s.sendall(frame(4, 1, 0))
    held.append(s)
print("ready", flush=True)
time.sleep(3600)
PY
  holder=$!
  started_pids+=("$holder")
  for _ in $(seq 600); do grep -q ready "$tmp/idle.$p.out" 2>/dev/null && break; sleep 0.1; done
  sleep 1
  after=$(rss_kb "${proxy_pid[$p]}")
  kill "$holder" 2>/dev/null || true
  wait "$holder" 2>/dev/null || true
  awk -v a="$after" -v b="$before" -v n="$idle" -v p="$p" \
    'BEGIN { printf "h2_idle_kib_per_conn_%s=%.2f  # RSS %d -> %d KiB\n", p, (a - b) / n, b, a }'
done
