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
# Fair to every peer: nginx runs its regexes with `pcre_jit on` (as a
# production nginx would); each measured run starts a fresh proxy, warms it
# up unmeasured, lets it settle before and after reading its CPU time; each
# size runs >= 3 reps with the peers' order rotating from rep to rep; the
# table gives medians and their spread. A run with errors is marked INVALID.
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
reps=3
warmup=2
settle=0.5
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
  -r, --reps N               repetitions, >= 3; medians are reported (default $reps)
  -w, --warmup SECONDS       unmeasured wrk run on each fresh proxy (default $warmup)
  -g, --gantry PATH          gantry binary (default build/gantry in the repo)
  -m, --modules DIR          folder holding acl_hyperscan.so (default: next to the binary)
  -p, --peers LIST           comma-separated subset of gantry,haproxy,nginx
      --quick                smoke run: 3 s, 1 s warm-up, sizes 1,100
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
    -w|--warmup) warmup="$2"; shift 2 ;;
    -g|--gantry) gantry_bin="$2"; shift 2 ;;
    -m|--modules) modules_dir="$2"; shift 2 ;;
    -p|--peers) peers="$2"; shift 2 ;;
    --quick) duration=3; warmup=1; sizes="1,100"; shift ;;
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

for n in "$duration" "$connections" "$reps" "$warmup"; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "not a whole number: $n"
done
((reps >= 3)) || die "--reps must be >= 3: a median of fewer runs hides the noise"
IFS=',' read -r -a size_list <<<"$sizes"
acl_count=1

# The pattern of ACL I. No request path starts with /api/, so all miss.
acl_regex() { echo "^/api/v1/svc$1/item/[0-9]+\$"; }

# lib.sh's start_peer calls these; they are redefined here with N ACLs.
write_haproxy_config() {  # PORT
  local i
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
  local dir="$tmp/nginx" i
  mkdir -p "$dir"
  {
    cat <<EOF
$(nginx_common "$dir" notice)
pcre_jit on;
$(nginx_proxy_http_head "$dir" "$backend_port")
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
  local i
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

echo "# figure 2: regex ACLs at scale (path_reg ACLs that every request misses)"
echo "# peers: ${peer_list[*]}; sizes: ${size_list[*]}; ${duration}s of wrk, $connections connections, $reps reps"
echo "# each run: fresh proxy, ${warmup}s unmeasured warm-up, ${settle}s settle before and after the CPU reading"
echo "# nginx: pcre_jit on; peers' order rotates from rep to rep"
echo "# load average before the run: $(load_average)"

results="$tmp/results.txt"  # peer N rep rps cpu_us startup_ms errors
: >"$results"
declare -A build_ms
n_peers=${#peer_list[@]}
for n in "${size_list[@]}"; do
  acl_count=$n
  for ((r = 0; r < reps; r++)); do
    for ((i = 0; i < n_peers; i++)); do
      p="${peer_list[$(((i + r) % n_peers))]}"
      t0=$(now_ms)
      start_peer "$p"
      # Compiling 10,000 regexes can take minutes on a loaded machine.
      wait_ready "$p" "${proxy_pid[$p]}" "${proxy_port[$p]}" http 6000
      started=$(($(now_ms) - t0))
      if ((warmup > 0)); then
        run_wrk_random "${proxy_port[$p]}" "$warmup" "$tmp/warmup-$p-$n-$r.txt" ||
          die "warm-up wrk failed against $p"
      fi
      sleep "$settle"
      out="$tmp/wrk-$p-$n-$r.txt"
      c0=$(cpu_ticks "${proxy_pid[$p]}")
      run_wrk_random "${proxy_port[$p]}" "$duration" "$out" || die "wrk failed against $p"
      # Let the proxy finish with wrk's connections before reading its CPU.
      sleep "$settle"
      c1=$(cpu_ticks "${proxy_pid[$p]}")
      read -r req rate _ bad sock <<<"$(parse_wrk "$out")"
      [[ "$req" != FAIL && "$req" -gt 0 ]] || die "cannot parse wrk output for $p: $(cat "$out")"
      cpu="$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v n="$req" \
        'BEGIN {printf "%.2f", n ? t * 1e6 / hz / n : 0}')"
      echo "$p $n $r $rate $cpu $started $((bad + sock))" >>"$results"
      if [[ "$p" == gantry ]]; then
        build_ms[$n]="$(sed -n 's/.*ready in \([0-9.]*\) ms.*/\1/p' "$tmp/gantry.log" | tail -n 1)"
      fi
      printf '# N=%-5d rep %d %-8s %10s req/s  cpu %8s us/req  started in %6d ms%s\n' "$n" $((r + 1)) \
        "$p" "$rate" "$cpu" "$started" "$(invalid_note $((bad + sock)))"
      stop_peer "$p"
      rm -rf "$tmp/acl-cache"  # every gantry start compiles, as a first start would
    done
  done
done
echo "# load average after the run: $(load_average)"

col() { awk -v p="$1" -v n="$2" -v c="$3" '$1 == p && $2 == n { print $c }' "$results"; }
med() { col "$@" | median_of; }
spread() { col "$@" | spread_pct_of; }
errors() { col "$1" "$2" 7 | awk '{ s += $1 } END { print s + 0 }'; }

echo
printf '%-8s | %6s | %10s %6s | %8s | %10s %6s | %10s | %12s | %s\n' proxy ACLs "req/s" "+-%" \
  "vs 1 ACL" "cpu us/req" "+-%" "startup ms" "gantry vs it" verdict
printf '%s\n' "---------+--------+-------------------+----------+-------------------+------------+--------------+--------"
first="${size_list[0]}"
for n in "${size_list[@]}"; do
  for p in "${peer_list[@]}"; do
    rel="$(awk -v a="$(med "$p" "$n" 4)" -v b="$(med "$p" "$first" 4)" 'BEGIN {printf "%.2f", b ? a / b : 0}')"
    vs="-"
    if [[ " ${peer_list[*]} " == *" gantry "* && "$p" != gantry ]]; then
      vs="$(awk -v a="$(med gantry "$n" 4)" -v b="$(med "$p" "$n" 4)" 'BEGIN {printf "%.1fx", b ? a / b : 0}')"
    fi
    printf '%-8s | %6d | %10.0f %5s%% | %8s | %10s %5s%% | %10s | %12s | %s\n' "$p" "$n" \
      "$(med "$p" "$n" 4)" "$(spread "$p" "$n" 4)" "$rel" "$(med "$p" "$n" 5)" \
      "$(spread "$p" "$n" 5)" "$(med "$p" "$n" 6)" "$vs" "$(validity "$(errors "$p" "$n")")"
  done
done
echo "(medians over $reps reps; +-% = (max - min) / median; INVALID = a rep had non-2xx answers or socket errors)"
echo

echo "acl_reps=$reps"
echo "acl_warmup_s=$warmup"
for n in "${size_list[@]}"; do
  for p in "${peer_list[@]}"; do
    e="$(errors "$p" "$n")"
    e1="$(errors "$p" "$first")"
    metric "acl_${p}_${n}_rps" "$(med "$p" "$n" 4)" "$e"
    metric "acl_${p}_${n}_rps_spread_pct" "$(spread "$p" "$n" 4)" "$e"
    metric "acl_${p}_${n}_rel" "$(awk -v a="$(med "$p" "$n" 4)" -v b="$(med "$p" "$first" 4)" \
      'BEGIN {printf "%.3f", b ? a / b : 0}')" $((e + e1))
    metric "acl_${p}_${n}_cpu_us_per_req" "$(med "$p" "$n" 5)" "$e"
    metric "acl_${p}_${n}_cpu_us_per_req_spread_pct" "$(spread "$p" "$n" 5)" "$e"
    metric "acl_${p}_${n}_startup_ms" "$(med "$p" "$n" 6)" "$e"
  done
  if [[ -n "${build_ms[$n]:-}" ]]; then echo "acl_gantry_${n}_build_ms=${build_ms[$n]}"; fi
done
