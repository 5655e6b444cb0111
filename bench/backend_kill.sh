#!/usr/bin/env bash
# Backend failure bench (issue 12), not run in CI.
#
# 1. Kill: two nginx origins behind the proxy, wrk GETs for $duration s, one
#    origin SIGKILLed by PID after $kill_after s. Reported per proxy: requests,
#    non-2xx answers, socket errors (connect/read/write/timeout), p99 and max
#    latency. Peers in the same run: gantry (defaults: retries 2 on
#    connect-failure/empty-response, outlier detection on, active check every
#    1s) and HAProxy with `retries 3`, `option redispatch`, `check inter 1s`.
# 2. Slow server: two small Python origins, one answering in $fast_ms ms and
#    one in 10x that; requests/s and p99 per balance algorithm the proxy has
#    (gantry: roundrobin, and leastconn once it exists; HAProxy: roundrobin,
#    leastconn).
#
# usage: bench/backend_kill.sh [--gantry PATH] [--duration S] [--connections N]
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
gantry_bin="$repo_dir/build/gantry"
duration=8
kill_after=3
connections=32
fast_ms=2
while (($#)); do
  case "$1" in
    --gantry) gantry_bin="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for t in wrk nginx haproxy python3 curl; do
  command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 1; }
done

tmp="$(mktemp -d /tmp/backend_kill.XXXXXX)"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.05; done; return 1; }

start_nginx() {  # NAME PORT: sets nginx_pid
  local d="$tmp/$1"; mkdir -p "$d"
  cat >"$d/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1; pid $d/nginx.pid;
error_log $d/error.log warn; events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:$2; location / { return 200 "ok\n"; } } }
CONF
  nginx -c "$d/nginx.conf" -p "$d" & nginx_pid=$!; pids+=("$nginx_pid")
  wait_port "$2"
}

start_slow() {  # PORT DELAY_MS: a keep-alive origin answering after DELAY_MS
  cat >"$tmp/slow.py" <<'PY'
# One asyncio loop: many keep-alive connections, each answer after a delay.
import asyncio, sys
delay = int(sys.argv[2]) / 1000.0
RESP = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"
async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(delay)
            writer.write(RESP)
            await writer.drain()
    except Exception:
        pass
    writer.close()
async def main():
    srv = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]), backlog=1024)
    await srv.serve_forever()
asyncio.run(main())
PY
  python3 "$tmp/slow.py" "$1" "$2" 2>/dev/null & pids+=("$!")
  wait_port "$1"
}

start_gantry() {  # PORT BALANCE SERVER...
  local port="$1" balance="$2"; shift 2
  local list="" s
  for s in "$@"; do list+="${list:+, }\"127.0.0.1:$s\""; done
  cat >"$tmp/gantry.toml" <<CONF
workers = 2
[log]
access = "off"
level = "warn"
[[listener]]
bind = "127.0.0.1:$port"
[[backend]]
name = "web"
balance = "$balance"
servers = [$list]
[backend.health]
path = "/"
interval = "1s"
CONF
  "$gantry_bin" -c "$tmp/gantry.toml" >"$tmp/gantry.log" 2>&1 & proxy_pid=$!; pids+=("$proxy_pid")
  wait_port "$port"
}

start_haproxy() {  # PORT BALANCE SERVER...
  local port="$1" balance="$2"; shift 2
  {
    echo "global"; echo "  nbthread 2"; echo "  maxconn 4000"
    echo "defaults"; echo "  mode http"; echo "  timeout connect 5s"
    echo "  timeout client 60s"; echo "  timeout server 60s"
    echo "  retries 3"; echo "  option redispatch"; echo "  option http-keep-alive"
    echo "frontend f"; echo "  bind 127.0.0.1:$port"; echo "  default_backend b"
    echo "backend b"; echo "  balance $balance"
    local i=0 s
    for s in "$@"; do i=$((i+1)); echo "  server s$i 127.0.0.1:$s check inter 1s"; done
  } >"$tmp/haproxy.cfg"
  haproxy -f "$tmp/haproxy.cfg" -db >"$tmp/haproxy.log" 2>&1 & proxy_pid=$!; pids+=("$proxy_pid")
  wait_port "$port"
}

stop_pid() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

num() { grep -oP "$1" <<<"$2" | head -1 || true; }

report() {  # LABEL WRK_OUTPUT
  local out="$2"
  local req non2xx sock p99 max
  req="$(num '\d+(?= requests in)' "$out")"
  non2xx="$(num '(?<=Non-2xx or 3xx responses: )\d+' "$out")"
  sock="$(num '(?<=Socket errors: ).*' "$out")"
  p99="$(num '(?<=     99%)\s+\S+' "$out" | tr -d ' ')"
  max="$(awk '/Latency/ {print $4; exit}' <<<"$out")"
  rps="$(num '(?<=Requests/sec:)\s+\S+' "$out" | tr -d ' ')"
  printf '%-28s %9s req %8s req/s  non-2xx %-5s socket errors: %-40s p99 %-8s max %s\n' \
    "$1" "$req" "$rps" "${non2xx:-0}" "${sock:-none}" "$p99" "$max"
}

echo "== 1. one of two origins SIGKILLed after ${kill_after}s of ${duration}s, wrk -c$connections"
for proxy in gantry haproxy; do
  pa="$(free_port)"; pb="$(free_port)"; pp="$(free_port)"
  start_nginx "a_$proxy" "$pa"; kill_pid="$nginx_pid"
  start_nginx "b_$proxy" "$pb"
  "start_$proxy" "$pp" roundrobin "$pa" "$pb"
  wrk -t2 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$pp/" >"$tmp/wrk.out" 2>&1 &
  wrk_pid=$!
  sleep "$kill_after"
  kill -KILL "$kill_pid"
  wait "$wrk_pid" || true
  report "$proxy" "$(cat "$tmp/wrk.out")"
  stop_pid "$proxy_pid"
done

echo "== 2. one origin ${fast_ms}ms, the other $((fast_ms * 10))ms, wrk -c$connections ${duration}s"
pf="$(free_port)"; ps="$(free_port)"
start_slow "$pf" "$fast_ms"
start_slow "$ps" "$((fast_ms * 10))"
gantry_balances="roundrobin"
if "$gantry_bin" config-keys 2>/dev/null | grep -q leastconn; then gantry_balances+=" leastconn"; fi
for proxy in gantry haproxy; do
  balances="roundrobin leastconn"
  [[ $proxy == gantry ]] && balances="$gantry_balances"
  for b in $balances; do
    pp="$(free_port)"
    "start_$proxy" "$pp" "$b" "$pf" "$ps"
    out="$(wrk -t2 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$pp/" 2>&1)"
    report "$proxy $b" "$out"
    stop_pid "$proxy_pid"
  done
done
