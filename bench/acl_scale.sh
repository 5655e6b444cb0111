#!/usr/bin/env bash
# Figure 2 of shared/design/BENCHMARKS.md: regex ACLs at scale.
#
# For N in 1, 100, 1000, 10000: N `path_reg` ACLs that no request matches
# (so every ACL is tried), random high-cardinality paths from a wrk Lua
# script (HAProxy's pattern cache cannot hide the regex cost), each ACL used
# by its own use_backend rule. Peers, same run, alternating:
#   gantry   acl_hyperscan module, one Hyperscan database for all N patterns
#   haproxy  acl aI path_reg ... / use_backend hit if aI
#   nginx    N regex locations ahead of `location /`
# Reported per proxy and N: requests/s, relative to its own 1-ACL figure,
# CPU per request, startup time (launch to first 200), and for gantry the
# ACL build time it logs. Every request answers 200 from the origin.
#
# Uses bench/lib.sh (backend, pinning, wrk parsing, cleanup).
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

duration=10
connections=50
wrk_threads=1
gantry_bin="$repo_dir/build/gantry"
modules_dir=""  # default: the modules/ folder next to the gantry binary
peers="gantry,haproxy,nginx"
sizes="1,100,1000,10000"
reps=1
proxy_cpu=1
load_cpu=0
pin=1
xff=0
keep_tmp=0
gantry_log_level=info  # the acl module's "ready in" line

usage() {
  cat <<EOF
Usage: $0 [options]
  -d, --duration SECONDS     wrk run per proxy and size (default $duration)
  -c, --connections N        wrk connections (default $connections)
  -n, --sizes LIST           ACL counts (default $sizes)
  -r, --reps N               repetitions; the median is reported (default $reps)
  -g, --gantry PATH          gantry binary (default build/gantry in the repo)
  -m, --modules DIR          folder holding acl_hyperscan.so (default: next to the binary)
  -p, --peers LIST           comma-separated subset of gantry,haproxy,nginx
      --quick                smoke run: 3 s, sizes 1,100
      --proxy-cpu N / --load-cpu N / --no-pin / --keep   as in run_proxy.sh
  -h, --help
EOF
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    -d|--duration) duration="$2"; shift 2 ;;
    -c|--connections) connections="$2"; shift 2 ;;
    -n|--sizes) sizes="$2"; shift 2 ;;
    -r|--reps) reps="$2"; shift 2 ;;
    -g|--gantry) gantry_bin="$2"; shift 2 ;;
    -m|--modules) modules_dir="$2"; shift 2 ;;
    -p|--peers) peers="$2"; shift 2 ;;
    --quick) duration=3; sizes="1,100"; shift ;;
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

IFS=',' read -r -a size_list <<<"$sizes"
acl_count=1

# The pattern of ACL I. No request path starts with /api/, so all miss.
acl_regex() { echo "^/api/v1/svc$1/item/[0-9]+\$"; }

# lib.sh's start_peer calls these; they are redefined here with N ACLs.
write_haproxy_config() {  # PORT
  {
    cat <<EOF
$(haproxy_keepalive_head)

frontend bench
  bind 127.0.0.1:$1
EOF
    for ((i = 0; i < acl_count; i++)); do echo "  acl a$i path_reg $(acl_regex $i)"; done
    for ((i = 0; i < acl_count; i++)); do echo "  use_backend hit if a$i"; done
    cat <<EOF
  default_backend origin

backend origin
  server s1 127.0.0.1:$backend_port

backend hit
  server s1 127.0.0.1:$backend_port
EOF
  } >"$tmp/haproxy.cfg"
}

write_nginx_config() {  # PORT
  local dir="$tmp/nginx"
  mkdir -p "$dir"
  {
    cat <<EOF
$(nginx_common "$dir" notice)
http {
  access_log off;
  keepalive_timeout 60s;
  keepalive_requests 100000000;
$(nginx_temp_paths "$dir")
  upstream origin {
    server 127.0.0.1:$backend_port;
    keepalive 64;
    keepalive_requests 100000000;
  }
  server {
    listen 127.0.0.1:$1;
EOF
    for ((i = 0; i < acl_count; i++)); do
      echo "    location ~ $(acl_regex $i) { return 404; }"
    done
    cat <<EOF
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
  } >"$dir/nginx.conf"
}

write_gantry_config() {  # PORT
  {
    cat <<EOF
workers = 1
modules_dir = "$modules_dir"

[log]
access = "off"
level = "$gantry_log_level"

[proxy]
x_forwarded_for = false
x_forwarded_proto = false
via = false

[[listener]]
name = "bench"
bind = "127.0.0.1:$1"

[[backend]]
name = "origin"
servers = [ "127.0.0.1:$backend_port" ]
keepalive = 64

[[backend]]
name = "hit"
servers = [ "127.0.0.1:$backend_port" ]

[[module]]
name = "acl"
path = "acl_hyperscan"

[module.config]
default_backend = "origin"
cache_dir = "$tmp/acl-cache"
EOF
    for ((i = 0; i < acl_count; i++)); do
      printf '[[module.config.acl]]\nname = "a%d"\npath_reg = "%s"\n' "$i" "$(acl_regex $i)"
    done
    for ((i = 0; i < acl_count; i++)); do
      printf '[[module.config.rule]]\nuse_backend = "hit"\nif = "a%d"\n' "$i"
    done
  } >"$tmp/gantry.toml"
}

check_peers "$peers"
if [[ -z "$modules_dir" ]]; then modules_dir="$(dirname "$gantry_bin")/modules"; fi
[[ ",$peers," != *",gantry,"* || -f "$modules_dir/acl_hyperscan.so" ]] ||
  die "no acl_hyperscan.so in $modules_dir (build it, or pass --modules DIR)"
modules_dir="$(cd "$modules_dir" && pwd)"
setup_pinning "$pin" "$proxy_cpu" "$load_cpu"
bench_init
start_backend

# Random paths: every request is new to any per-path cache.
cat >"$tmp/random_paths.lua" <<'EOF'
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/r/" .. math.random(1, 2000000000) .. "/" ..
                    math.random(1, 2000000000) .. ".html")
end
EOF

run_wrk_random() {  # PORT SECONDS OUTFILE
  "${on_load_cpu[@]}" wrk -t"$wrk_threads" -c"$connections" -d"${2}s" \
    -s "$tmp/random_paths.lua" "http://127.0.0.1:$1/" >"$3" 2>&1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

median() { sort -g | awk '{v[NR] = $1} END {print (NR ? v[int((NR + 1) / 2)] : 0)}'; }

echo "# figure 2: regex ACLs at scale (path_reg ACLs that every request misses)"
echo "# peers: ${peer_list[*]}; sizes: ${size_list[*]}; ${duration}s of wrk, $connections connections, $reps rep(s)"
echo "# load average before the run: $(load_average)"

declare -A rps cpu_us start_ms build_ms
for n in "${size_list[@]}"; do
  acl_count=$n
  for p in "${peer_list[@]}"; do
    rs=() cs=() ss_=()
    for ((r = 0; r < reps; r++)); do
      t0=$(now_ms)
      start_peer "$p"
      # Compiling 10,000 regexes can take minutes on a loaded machine.
      wait_ready "$p" "${proxy_pid[$p]}" "${proxy_port[$p]}" http 6000
      ss_+=($(($(now_ms) - t0)))
      out="$tmp/wrk-$p-$n-$r.txt"
      c0=$(cpu_ticks "${proxy_pid[$p]}")
      run_wrk_random "${proxy_port[$p]}" "$duration" "$out" || die "wrk failed against $p"
      c1=$(cpu_ticks "${proxy_pid[$p]}")
      read -r req rate _ bad sock <<<"$(parse_wrk "$out")"
      [[ "$req" != FAIL ]] || die "cannot parse wrk output for $p: $(cat "$out")"
      ((bad + sock == 0)) || echo "# warning: $p N=$n: $bad non-2xx, $sock socket errors" >&2
      rs+=("$rate")
      cs+=("$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v n="$req" \
        'BEGIN {printf "%.2f", n ? t * 1e6 / hz / n : 0}')")
      if [[ "$p" == gantry ]]; then
        build_ms[$n]="$(sed -n 's/.*ready in \([0-9.]*\) ms.*/\1/p' "$tmp/gantry.log" | tail -n 1)"
      fi
      stop_peer "$p"
      rm -rf "$tmp/acl-cache"  # every gantry start compiles, as a first start would
    done
    rps[$p,$n]="$(printf '%s\n' "${rs[@]}" | median)"
    cpu_us[$p,$n]="$(printf '%s\n' "${cs[@]}" | median)"
    start_ms[$p,$n]="$(printf '%s\n' "${ss_[@]}" | median)"
    echo "# $p N=$n: ${rps[$p,$n]} req/s, ${cpu_us[$p,$n]} us CPU/request, started in ${start_ms[$p,$n]} ms"
  done
done

echo
printf '%-8s | %6s | %10s | %8s | %9s | %11s | %s\n' proxy ACLs req/s "vs 1 ACL" "CPU us/req" \
  "startup ms" "gantry vs it"
printf '%s\n' "---------+--------+------------+----------+-----------+-------------+-------------"
first="${size_list[0]}"
for n in "${size_list[@]}"; do
  for p in "${peer_list[@]}"; do
    rel="$(awk -v a="${rps[$p,$n]}" -v b="${rps[$p,$first]}" 'BEGIN {printf "%.2f", b ? a / b : 0}')"
    vs="-"
    if [[ -n "${rps[gantry,$n]:-}" && "$p" != gantry ]]; then
      vs="$(awk -v a="${rps[gantry,$n]}" -v b="${rps[$p,$n]}" 'BEGIN {printf "%.1fx", b ? a / b : 0}')"
    fi
    printf '%-8s | %6d | %10.0f | %8s | %9s | %11s | %s\n' "$p" "$n" "${rps[$p,$n]}" "$rel" \
      "${cpu_us[$p,$n]}" "${start_ms[$p,$n]}" "$vs"
  done
done
echo

for n in "${size_list[@]}"; do
  for p in "${peer_list[@]}"; do
    echo "acl_${p}_${n}_rps=${rps[$p,$n]}"
    echo "acl_${p}_${n}_rel=$(awk -v a="${rps[$p,$n]}" -v b="${rps[$p,$first]}" 'BEGIN {printf "%.3f", b ? a / b : 0}')"
    echo "acl_${p}_${n}_cpu_us_per_req=${cpu_us[$p,$n]}"
    echo "acl_${p}_${n}_startup_ms=${start_ms[$p,$n]}"
  done
  if [[ -n "${build_ms[$n]:-}" ]]; then echo "acl_gantry_${n}_build_ms=${build_ms[$n]}"; fi
done
