#!/usr/bin/env bash
# Figure 3 of shared/design/BENCHMARKS.md: TLS.
#
# Full TLS handshakes per second and the proxy's CPU time per handshake, with
# session tickets and the session cache off on every proxy, for an ECDSA P-256
# and an RSA-2048 certificate; then keep-alive HTTPS requests/s over the same
# listeners. Peers: gantry with each TLS provider (tls-boringssl, tls-openssl)
# as its own process, HAProxy and nginx, one worker thread each, all in front
# of the same backend nginx (plain HTTP, `return 200`).
#
# Handshakes: wrk resumes sessions and keeps connections, so full handshakes
# come from `openssl s_time -new` (a new TCP connection and a full handshake
# each time), several instances in parallel. Keep-alive: wrk over https.
#
# HAProxy 2.6 sends two TLS 1.3 NewSessionTickets per handshake even with
# `no-tls-tickets` (stateful ones then, with the cache off useless), which
# costs it CPU the others do not spend: the script counts the tickets each
# peer sends and prints them next to the figures. A second part restarts
# every peer with tickets and the session cache on, and measures resumed
# handshakes (`s_time -reuse`, which needs a request per connection to
# receive a TLS 1.3 ticket). A run with failed handshakes, errors or, in the
# resumption part, connections that did not resume is marked INVALID.
#
# Usage: bench/run_tls.sh [options]   (see --help)
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

duration=10
ka_duration=5
connections=50
clients=4
rounds=3
resume_duration=5
wrk_threads=1
gantry_bin="$repo_dir/build/gantry"
peers="gantry_boringssl,gantry_openssl,haproxy,nginx"
key_types="ecdsa,rsa"
hs_mode=handshake
proxy_cpu=1
load_cpu=0
pin=1
xff=1
keep_tmp=0

usage() {
  cat <<EOF
Usage: $0 [options]
  -d, --duration SECONDS     length of each handshake run (default $duration)
  -k, --ka-duration SECONDS  length of each keep-alive wrk run, 0 = skip (default $ka_duration)
  -R, --resume-duration SECONDS  length of each resumed-handshake run, tickets and cache on
                             everywhere, 0 = skip (default $resume_duration)
  -c, --connections N        wrk connections for keep-alive HTTPS (default $connections)
  -P, --clients N            parallel openssl s_time clients (default $clients)
  -r, --rounds N             rounds; each round runs every peer once per test (default $rounds)
  -g, --gantry PATH          gantry binary (default build/gantry; modules from PATH's modules/)
  -p, --peers LIST           subset of gantry_boringssl,gantry_openssl,haproxy,nginx
      --keys LIST            subset of ecdsa,rsa (default $key_types)
      --hs-mode MODE         handshake: handshake only, no request (default)
                             request:   GET / on each new connection (s_time -www /)
      --quick                smoke run: 2 s runs, 1 round
      --proxy-cpu N          CPU for the proxies (default $proxy_cpu)
      --load-cpu N           CPU for the clients and the backend (default $load_cpu)
      --no-pin               do not pin processes to CPUs
      --keep                 keep the temp dir (certificates, configs, logs, raw output)
  -h, --help
EOF
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    -d|--duration) duration="$2"; shift 2 ;;
    -k|--ka-duration) ka_duration="$2"; shift 2 ;;
    -R|--resume-duration) resume_duration="$2"; shift 2 ;;
    -c|--connections) connections="$2"; shift 2 ;;
    -P|--clients) clients="$2"; shift 2 ;;
    -r|--rounds) rounds="$2"; shift 2 ;;
    -g|--gantry) gantry_bin="$2"; shift 2 ;;
    -p|--peers) peers="$2"; shift 2 ;;
    --keys) key_types="$2"; shift 2 ;;
    --hs-mode) hs_mode="$2"; shift 2 ;;
    --quick) duration=2; ka_duration=2; resume_duration=2; rounds=1; shift ;;
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

for n in "$duration" "$ka_duration" "$resume_duration" "$connections" "$clients" "$rounds"; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "not a whole number: $n"
done
((rounds >= 1 && duration >= 1 && clients >= 1 && connections >= 1)) ||
  die "rounds, duration, clients and connections must be >= 1"
case "$hs_mode" in handshake|request) ;; *) die "--hs-mode: handshake or request" ;; esac

IFS=',' read -r -a peer_list <<<"$peers"
IFS=',' read -r -a key_list <<<"$key_types"
for p in "${peer_list[@]}"; do
  case "$p" in gantry_boringssl|gantry_openssl|haproxy|nginx) ;; *) die "unknown peer: $p" ;; esac
done
for k in "${key_list[@]}"; do
  case "$k" in ecdsa|rsa) ;; *) die "unknown key type: $k" ;; esac
done
need openssl openssl
need wrk wrk
need nginx nginx-light
need curl curl
need ss iproute2
need pgrep procps
if [[ ",$peers," == *",haproxy,"* ]]; then need haproxy haproxy; fi
if [[ ",$peers," == *",gantry_"* ]]; then
  [[ -x "$gantry_bin" ]] || die "no gantry binary at $gantry_bin (build target runtime, or --gantry PATH)"
  gantry_bin="$(cd "$(dirname "$gantry_bin")" && pwd)/$(basename "$gantry_bin")"
  for p in "${peer_list[@]}"; do
    case "$p" in
      gantry_boringssl) [[ -f "$(dirname "$gantry_bin")/modules/tls_boringssl.so" ]] ||
        die "no modules/tls_boringssl.so next to $gantry_bin" ;;
      gantry_openssl) [[ -f "$(dirname "$gantry_bin")/modules/tls_openssl.so" ]] ||
        die "no modules/tls_openssl.so next to $gantry_bin" ;;
    esac
  done
fi

setup_pinning "$pin" "$proxy_cpu" "$load_cpu"
bench_init
clk_tck="$(getconf CLK_TCK)"

# ------------------------------------------------------------ certificates
certs="$tmp/certs"
mkdir -p "$certs"
make_cert() {  # TYPE: self-signed leaf for localhost; TYPE.pem, TYPE.key, TYPE.both.pem
  local t="$1" newkey
  case "$t" in
    ecdsa) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
    rsa) newkey=(-newkey rsa:2048) ;;
  esac
  openssl req -x509 "${newkey[@]}" -nodes -days 30 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$certs/$t.key" -out "$certs/$t.pem" >"$certs/$t.log" 2>&1 ||
    die "openssl req failed for $t: $(cat "$certs/$t.log")"
  cat "$certs/$t.pem" "$certs/$t.key" >"$certs/$t.both.pem"  # HAProxy's crt
}
for k in "${key_list[@]}"; do make_cert "$k"; done

# ------------------------------------------------------------ proxies
# Each peer is one process with one TLS listener per key type.
declare -A port peer_pid

write_gantry_tls() {  # PEER PROVIDER MODULE-FILE
  local conf="$tmp/$1.toml" flag=false k
  if ((xff)); then flag=true; fi
  cat >"$conf" <<EOF
workers = 1

[log]
access = "off"
level = "warn"

[proxy]
x_forwarded_for = $flag
x_forwarded_proto = $flag
via = false

[[module]]
name = "$2"
path = "$3"
EOF
  for k in "${key_list[@]}"; do
    cat >>"$conf" <<EOF

[[listener]]
name = "$k"
bind = "127.0.0.1:${port[$1,$k]}"
[listener.tls]
provider = "$2"
cert = "$certs/$k.pem"
key = "$certs/$k.key"
$(if ((tickets)); then echo "session_tickets = true"; else printf 'session_tickets = false\nsession_cache_size = 0'; fi)
EOF
  done
  cat >>"$conf" <<EOF

[[backend]]
name = "origin"
servers = [ "127.0.0.1:$backend_port" ]
keepalive = 64
EOF
}

write_haproxy_tls() {
  local conf="$tmp/haproxy.cfg" fwd="" k
  if ((xff)); then
    fwd="  option forwardfor
  http-request set-header X-Forwarded-Proto https"
  fi
  cat >"$conf" <<EOF
$(if ((tickets)); then haproxy_keepalive_head; else haproxy_keepalive_head "tune.ssl.cachesize 0"; fi)

backend origin
  server s1 127.0.0.1:$backend_port
EOF
  for k in "${key_list[@]}"; do
    cat >>"$conf" <<EOF

frontend $k
  bind 127.0.0.1:${port[haproxy,$k]} ssl crt $certs/$k.both.pem$( ((tickets)) || echo " no-tls-tickets")
$fwd
  default_backend origin
EOF
  done
}

write_nginx_tls() {
  local dir="$tmp/nginx" fwd="" k
  mkdir -p "$dir"
  if ((xff)); then
    fwd="      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;"
  fi
  {
    cat <<EOF
$(nginx_common "$dir" notice)
$(nginx_proxy_http_head "$dir" "$backend_port")
$(if ((tickets)); then printf '  ssl_session_cache shared:TLS:10m;\n  ssl_session_tickets on;'; else printf '  ssl_session_cache off;\n  ssl_session_tickets off;'; fi)
EOF
    for k in "${key_list[@]}"; do
      cat <<EOF
  server {
    listen 127.0.0.1:${port[nginx,$k]} ssl;
    ssl_certificate $certs/$k.pem;
    ssl_certificate_key $certs/$k.key;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
$fwd
    }
  }
EOF
    done
    echo "}"
  } >"$dir/nginx.conf"
}

# Every writer above follows this: 0 = tickets and session cache off (the
# full-handshake figures), 1 = both on (the resumed-handshake figures).
tickets=0

start_tls_peer() {  # PEER
  local p="$1" k
  for k in "${key_list[@]}"; do port[$p,$k]="$(free_port)"; done
  case "$p" in
    gantry_boringssl)
      write_gantry_tls "$p" tls-boringssl tls_boringssl
      launch "$p" "${on_proxy_cpu[@]}" -- "$gantry_bin" -c "$tmp/$p.toml" ;;
    gantry_openssl)
      write_gantry_tls "$p" tls-openssl tls_openssl
      launch "$p" "${on_proxy_cpu[@]}" -- "$gantry_bin" -c "$tmp/$p.toml" ;;
    haproxy)
      write_haproxy_tls
      launch haproxy "${on_proxy_cpu[@]}" -- haproxy -db -f "$tmp/haproxy.cfg" ;;
    nginx)
      write_nginx_tls
      launch nginx "${on_proxy_cpu[@]}" -- nginx -p "$tmp/nginx" -e "$tmp/nginx/error.log" \
        -c "$tmp/nginx/nginx.conf" ;;
  esac
  peer_pid[$p]=$launched_pid
}

# PEER KEY: how many of 5 TLS 1.2 reconnections resumed the first session (by
# ticket or session ID). Must be 0: tickets and cache are off. (s_client
# -reconnect does not wait for TLS 1.3 tickets, so it cannot test 1.3.)
resumed_count() {
  local c
  c="$("${on_load_cpu[@]}" openssl s_client -connect "127.0.0.1:${port[$1,$2]}" -tls1_2 -reconnect \
    </dev/null 2>/dev/null | grep -c '^Reused,' || true)"
  echo "${c:-0}"
}

# PEER KEY: NewSessionTickets a TLS 1.3 client receives on one full handshake.
tls13_tickets() {
  local c
  c="$( (sleep 1) | "${on_load_cpu[@]}" openssl s_client -connect "127.0.0.1:${port[$1,$2]}" -tls1_3 \
    2>/dev/null | grep -c 'Post-Handshake New Session Ticket arrived' || true)"
  echo "${c:-0}"
}

start_all() {
  for p in "${peer_list[@]}"; do start_tls_peer "$p"; done
  for p in "${peer_list[@]}"; do
    for k in "${key_list[@]}"; do wait_ready "$p" "${peer_pid[$p]}" "${port[$p,$k]}" https; done
  done
}

start_backend
start_all

# ------------------------------------------------------------ load
www=()
if [[ "$hs_mode" == request ]]; then www=(-www /); fi

# PEER KEY OUTPREFIX SECONDS S_TIME-ARGS...: $clients openssl s_time in
# parallel; prints "connections wall_seconds failed_clients resumed".
run_stime() {
  local p="$1" k="$2" out="$3" secs="$4" i pids=() failed=0 t0 t1 n rs
  shift 4
  t0="$(date +%s.%N)"
  for ((i = 0; i < clients; i++)); do
    "${on_load_cpu[@]}" openssl s_time -connect "127.0.0.1:${port[$p,$k]}" -time "$secs" "$@" \
      >"$out.$i" 2>&1 &
    pids+=($!)
    started_pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed=$((failed + 1))
  done
  t1="$(date +%s.%N)"
  # "N connections in T real seconds, ..." once per client.
  n="$(cat "$out".* | awk '/connections in .* real seconds/ { s += $1 } END { print s + 0 }')"
  # Between "starting" and its count s_time prints a character per connection:
  # 'r' for one that resumed a session.
  rs="$(cat "$out".* | awk '/^starting/ { on = 1; next } on && /connections in/ { on = 0 }
    on { s += gsub(/r/, "") } END { print s + 0 }')"
  echo "$n $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') $failed $rs"
}

# Full handshakes: a new session every time.
run_handshakes() { run_stime "$1" "$2" "$3" "$duration" -new "${www[@]}"; }

# Resumed handshakes: one full handshake, then every connection resumes it
# and sends a GET (a TLS 1.3 client gets its ticket after the handshake).
run_resumed() { run_stime "$1" "$2" "$3" "$resume_duration" -reuse -www /; }

# KIND PEER KEY ROUND RUNNER: one measured run of RUNNER (run_handshakes or
# run_resumed) against a running peer, its CPU time read before and after;
# sets n, rate, cpu_us, failed, rs and ticks_used.
measure_stime() {
  local kind="$1" p="$2" k="$3" r="$4" runner="$5" pid="${peer_pid[$2]}" before after wall
  kill -0 "$pid" 2>/dev/null || die "$p died (see $tmp/$p.log)"
  before="$(cpu_ticks "$pid")"
  read -r n wall failed rs <<<"$("$runner" "$p" "$k" "$tmp/$kind-$p-$k-$r")"
  sleep 0.2
  after="$(cpu_ticks "$pid")"
  ((n > 0)) || die "no $kind run completed against $p ($k): $(tail -n 5 "$tmp/$kind-$p-$k-$r.0")"
  ticks_used=$((after - before))
  rate="$(awk -v n="$n" -v w="$wall" 'BEGIN { printf "%.1f", n / w }')"
  cpu_us="$(awk -v t="$ticks_used" -v hz="$clk_tck" -v n="$n" \
    'BEGIN { printf "%.1f", t * 1000000 / hz / n }')"
}

run_wrk_https() {  # PORT SECONDS OUTFILE
  "${on_load_cpu[@]}" wrk -t"$wrk_threads" -c"$connections" -d"${2}s" --latency \
    "https://127.0.0.1:$1/" >"$3" 2>&1
}

results="$tmp/results.txt"   # test peer key round count rate cpu_us_per_op errors
: >"$results"

cat <<EOF
# figure 3: TLS full handshakes (tickets and session cache off everywhere) and keep-alive HTTPS
# peers: ${peer_list[*]}; keys: ${key_list[*]}; $rounds round(s)
# handshakes: $clients x openssl s_time -new -time $duration ($hs_mode$([[ $hs_mode == request ]] && echo ': GET / per connection' || echo ': no request')), client $(openssl version | cut -d' ' -f1-2)
# keep-alive: wrk -t$wrk_threads -c$connections -d${ka_duration}s https
EOF
if ((pin)); then
  echo "# pinning: proxies on CPU $proxy_cpu; clients and backend nginx on CPU $load_cpu"
else
  echo "# pinning: off"
fi
echo "# load average before the run: $(load_average)"

declare -A resumed tickets_sent
for p in "${peer_list[@]}"; do
  for k in "${key_list[@]}"; do
    resumed[$p,$k]="$(resumed_count "$p" "$k")"
    tickets_sent[$p,$k]="$(tls13_tickets "$p" "$k")"
    echo "# $p $k: TLS 1.2 sessions resumed out of 5 reconnections: ${resumed[$p,$k]}$(invalid_note "${resumed[$p,$k]}");" \
      "TLS 1.3 tickets sent per full handshake: ${tickets_sent[$p,$k]}"
  done
done
if [[ " ${peer_list[*]} " == *" haproxy "* ]]; then
  echo "# note: HAProxy 2.6 sends two TLS 1.3 NewSessionTickets per handshake even with no-tls-tickets;"
  echo "#       that work is part of its CPU per handshake here, and cannot be turned off"
fi

# Warm-up, unmeasured: one short handshake burst per listener.
for p in "${peer_list[@]}"; do
  for k in "${key_list[@]}"; do
    save="$duration"; duration=1
    run_handshakes "$p" "$k" "$tmp/warmup-$p-$k" >/dev/null
    duration="$save"
  done
done

n_peers=${#peer_list[@]}
for ((r = 1; r <= rounds; r++)); do
  for k in "${key_list[@]}"; do
    for ((i = 0; i < n_peers; i++)); do
      p="${peer_list[$(((i + r - 1) % n_peers))]}"
      measure_stime hs "$p" "$k" "$r" run_handshakes
      echo "hs $p $k $r $n $rate $cpu_us $failed" >>"$results"
      note=""
      if ((ticks_used < 50)); then note="  (cpu coarse: $ticks_used ticks)"; fi
      if ((failed > 0)); then note+="  ($failed s_time client(s) exited with an error)"; fi
      note+="$(invalid_note "$failed")"
      printf '# round %d hs %-5s %-16s %6d handshakes %9s hs/s  cpu %8s us/hs%s\n' \
        "$r" "$k" "$p" "$n" "$rate" "$cpu_us" "$note"
    done
    ((ka_duration > 0)) || continue
    for ((i = 0; i < n_peers; i++)); do
      p="${peer_list[$(((i + r - 1) % n_peers))]}"
      pid="${peer_pid[$p]}"
      kill -0 "$pid" 2>/dev/null || die "$p died (see $tmp/$p.log)"
      out="$tmp/wrk-$p-$k-$r.txt"
      before="$(cpu_ticks "$pid")"
      run_wrk_https "${port[$p,$k]}" "$ka_duration" "$out" || die "wrk failed against $p: $(tail -n 3 "$out")"
      sleep 0.2
      after="$(cpu_ticks "$pid")"
      read -r req rps p99 bad sock <<<"$(parse_wrk "$out")"
      [[ "$req" != FAIL && "$req" -gt 0 ]] || die "cannot parse wrk output for $p: $(cat "$out")"
      cpu_us="$(awk -v t=$((after - before)) -v hz="$clk_tck" -v n="$req" \
        'BEGIN { printf "%.3f", t * 1000000 / hz / n }')"
      echo "ka $p $k $r $req $rps $cpu_us $((bad + sock))" >>"$results"
      printf '# round %d ka %-5s %-16s %10s req/s  p99 %8s ms  cpu %7s us/req  errors %s%s\n' \
        "$r" "$k" "$p" "$rps" "$p99" "$cpu_us" "$((bad + sock))" "$(invalid_note $((bad + sock)))"
    done
  done
done

# ------------------------------------------------------------ resumed handshakes
if ((resume_duration > 0)); then
  for p in "${peer_list[@]}"; do stop_pid "${peer_pid[$p]}"; done
  tickets=1
  start_all
  echo "# resumed handshakes: tickets and session cache on everywhere; $clients x openssl s_time -reuse" \
    "-time $resume_duration -www /"
  for ((r = 1; r <= rounds; r++)); do
    for k in "${key_list[@]}"; do
      for ((i = 0; i < n_peers; i++)); do
        p="${peer_list[$(((i + r - 1) % n_peers))]}"
        measure_stime rs "$p" "$k" "$r" run_resumed
        errors=$((failed + n - rs))
        echo "rs $p $k $r $n $rate $cpu_us $errors $rs" >>"$results"
        printf '# round %d rs %-5s %-16s %6d connections (%d resumed) %9s /s  cpu %8s us/conn%s\n' \
          "$r" "$k" "$p" "$n" "$rs" "$rate" "$cpu_us" "$(invalid_note "$errors")"
      done
    done
  done
fi
echo "# load average after the run: $(load_average)"

# ------------------------------------------------------------ report
values() { awk -v t="$1" -v p="$2" -v k="$3" -v c="$4" '$1 == t && $2 == p && $3 == k { print $c }' "$results" | sort -g; }
median() {
  values "$@" | awk '{ v[NR] = $1 }
    END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
spread_pct() {
  local v; v="$(values "$@")"
  awk -v lo="$(head -n 1 <<<"$v")" -v hi="$(tail -n 1 <<<"$v")" -v m="$(median "$@")" \
    'BEGIN { if (m > 0) printf "%.1f", (hi - lo) * 100 / m; else print "0" }'
}
sum_col() { awk -v t="$1" -v p="$2" -v k="$3" -v c="$4" '$1 == t && $2 == p && $3 == k { s += $c } END { print s + 0 }' "$results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f\n", a / b; else print "nan" }'; }

echo
# Failed handshake clients, wrk errors and TLS 1.2 resumptions where none may
# happen: any of them and the full-handshake figures of PEER KEY are INVALID.
errors_of() {
  echo $(( $(sum_col hs "$1" "$2" 8) + $(sum_col ka "$1" "$2" 8) + ${resumed[$1,$2]} ))
}

printf '%-16s %-5s | %9s %6s | %9s %6s | %9s %6s | %9s %6s | %7s | %5s | %s\n' \
  proxy key "hs/s" "+-%" "cpu us/hs" "+-%" "ka req/s" "+-%" "us/req" "+-%" tickets errs verdict
printf '%s\n' "-----------------------+------------------+------------------+------------------+------------------+---------+-------+--------"
for k in "${key_list[@]}"; do
  for p in "${peer_list[@]}"; do
    printf '%-16s %-5s | %9.0f %5s%% | %9.1f %5s%% | %9.0f %5s%% | %9.2f %5s%% | %7s | %5d | %s\n' "$p" "$k" \
      "$(median hs "$p" "$k" 6)" "$(spread_pct hs "$p" "$k" 6)" \
      "$(median hs "$p" "$k" 7)" "$(spread_pct hs "$p" "$k" 7)" \
      "$(median ka "$p" "$k" 6)" "$(spread_pct ka "$p" "$k" 6)" \
      "$(median ka "$p" "$k" 7)" "$(spread_pct ka "$p" "$k" 7)" \
      "${tickets_sent[$p,$k]}" "$(errors_of "$p" "$k")" "$(validity "$(errors_of "$p" "$k")")"
  done
done
echo "(median over $rounds round(s); +-% = (max - min) / median; tickets = TLS 1.3 NewSessionTickets sent"
echo " per full handshake with tickets off; errs = failed s_time clients + wrk non-2xx/socket errors"
echo " + TLS 1.2 sessions resumed although resumption is off; INVALID = errs > 0)"
echo
if ((resume_duration > 0)); then
  printf '%-16s %-5s | %10s %6s | %11s %6s | %8s | %s\n' proxy key "resumed/s" "+-%" "cpu us/conn" "+-%" \
    resumed verdict
  printf '%s\n' "-----------------------+-------------------+--------------------+----------+--------"
  for k in "${key_list[@]}"; do
    for p in "${peer_list[@]}"; do
      printf '%-16s %-5s | %10.0f %5s%% | %11.1f %5s%% | %7.1f%% | %s\n' "$p" "$k" \
        "$(median rs "$p" "$k" 6)" "$(spread_pct rs "$p" "$k" 6)" \
        "$(median rs "$p" "$k" 7)" "$(spread_pct rs "$p" "$k" 7)" \
        "$(awk -v r="$(sum_col rs "$p" "$k" 9)" -v n="$(sum_col rs "$p" "$k" 5)" 'BEGIN { print n ? r * 100 / n : 0 }')" \
        "$(validity "$(sum_col rs "$p" "$k" 8)")"
    done
  done
  echo "(tickets and session cache on everywhere; s_time -reuse -www /: a resumed handshake and a GET"
  echo " per connection; resumed = share of connections that resumed; INVALID = a client failed or a"
  echo " connection did not resume)"
  echo
fi

echo "hs_mode=$hs_mode"
echo "resume_duration_s=$resume_duration"
echo "hs_clients=$clients"
echo "hs_duration_s=$duration"
echo "ka_duration_s=$ka_duration"
echo "rounds=$rounds"
for k in "${key_list[@]}"; do
  for p in "${peer_list[@]}"; do
    e="$(errors_of "$p" "$k")"
    metric "${p}_${k}_hs_per_s" "$(median hs "$p" "$k" 6)" "$e"
    metric "${p}_${k}_hs_per_s_spread_pct" "$(spread_pct hs "$p" "$k" 6)" "$e"
    metric "${p}_${k}_cpu_us_per_hs" "$(median hs "$p" "$k" 7)" "$e"
    metric "${p}_${k}_cpu_us_per_hs_spread_pct" "$(spread_pct hs "$p" "$k" 7)" "$e"
    echo "${p}_${k}_hs_failed_clients=$(sum_col hs "$p" "$k" 8)"
    echo "${p}_${k}_sessions_resumed=${resumed[$p,$k]}"
    echo "${p}_${k}_tls13_tickets_per_handshake=${tickets_sent[$p,$k]}"
    if ((ka_duration > 0)); then
      metric "${p}_${k}_ka_rps" "$(median ka "$p" "$k" 6)" "$e"
      metric "${p}_${k}_ka_rps_spread_pct" "$(spread_pct ka "$p" "$k" 6)" "$e"
      metric "${p}_${k}_ka_cpu_us_per_req" "$(median ka "$p" "$k" 7)" "$e"
      echo "${p}_${k}_ka_errors=$(sum_col ka "$p" "$k" 8)"
    fi
    if ((resume_duration > 0)); then
      re="$(sum_col rs "$p" "$k" 8)"
      metric "${p}_${k}_resumed_hs_per_s" "$(median rs "$p" "$k" 6)" "$re"
      metric "${p}_${k}_resumed_hs_per_s_spread_pct" "$(spread_pct rs "$p" "$k" 6)" "$re"
      metric "${p}_${k}_cpu_us_per_resumed_hs" "$(median rs "$p" "$k" 7)" "$re"
      echo "${p}_${k}_resumed_connections=$(sum_col rs "$p" "$k" 9)"
      echo "${p}_${k}_resume_runs_connections=$(sum_col rs "$p" "$k" 5)"
    fi
  done
done
for k in "${key_list[@]}"; do
  for a in "${peer_list[@]}"; do
    [[ "$a" == gantry_* ]] || continue
    for b in "${peer_list[@]}"; do
      [[ "$b" == haproxy || "$b" == nginx ]] || continue
      e=$(($(errors_of "$a" "$k") + $(errors_of "$b" "$k")))
      metric "ratio_cpu_hs_${a}_vs_${b}_${k}" "$(ratio "$(median hs "$a" "$k" 7)" "$(median hs "$b" "$k" 7)")" "$e"
      metric "ratio_hs_per_s_${a}_vs_${b}_${k}" "$(ratio "$(median hs "$a" "$k" 6)" "$(median hs "$b" "$k" 6)")" "$e"
      if ((ka_duration > 0)); then
        metric "ratio_ka_rps_${a}_vs_${b}_${k}" "$(ratio "$(median ka "$a" "$k" 6)" "$(median ka "$b" "$k" 6)")" "$e"
        metric "ratio_ka_cpu_${a}_vs_${b}_${k}" "$(ratio "$(median ka "$a" "$k" 7)" "$(median ka "$b" "$k" 7)")" "$e"
      fi
      if ((resume_duration > 0)); then
        e=$(($(sum_col rs "$a" "$k" 8) + $(sum_col rs "$b" "$k" 8)))
        metric "ratio_cpu_resumed_hs_${a}_vs_${b}_${k}" \
          "$(ratio "$(median rs "$a" "$k" 7)" "$(median rs "$b" "$k" 7)")" "$e"
      fi
    done
  done
done
