#!/usr/bin/env bash
# Differential conformance: the same raw requests through gantry, HAProxy 2.6
# and nginx 1.22 (one worker each, the configs of bench/lib.sh) to ONE
# recording backend (bench/conformance/recording_backend.py, a strict
# RFC 9112 reader). Prints one row per request: what each proxy answered,
# how many requests the backend received through it and what they were, and
# DIVERGE where gantry differs from both anchors (bench/conformance_diff.py).
#
# The requests: bench/conformance/requests/*.http (raw bytes), then the 143
# Http11Probe entries of ../shared/conformance/http11probe.json when that
# file is there ($GANTRY_CONFORMANCE_FILE or $GANTRY_SHARED_DIR override it).
#
# Not part of CI. Usage: bench/conformance_diff.sh [options]   (see --help)
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$repo_dir/bench/lib.sh"

gantry_bin="$repo_dir/build/gantry"
peers="gantry,haproxy,nginx"
probes="${GANTRY_CONFORMANCE_FILE:-${GANTRY_SHARED_DIR:-$repo_dir/../shared}/conformance/http11probe.json}"
use_probes=1
only=""
wait_s=2
keep_tmp=0
xff=0  # no added forwarding fields: the backend then sees what each proxy kept of the request

usage() {
  cat <<EOF
Usage: $0 [options]
  -g, --gantry PATH      gantry binary (default build/gantry in the repo)
  -p, --peers LIST       comma-separated subset of gantry,haproxy,nginx (gantry first)
      --probes FILE      Http11Probe data set (default $probes)
      --no-probes        only the requests of bench/conformance/requests
      --only REGEX       only requests whose id matches
      --wait SECONDS     silence that ends an answer (default $wait_s)
      --keep             keep the temp dir (configs and logs)
  -h, --help
EOF
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    -g|--gantry) gantry_bin="$2"; shift 2 ;;
    -p|--peers) peers="$2"; shift 2 ;;
    --probes) probes="$2"; shift 2 ;;
    --no-probes) use_probes=0; shift ;;
    --only) only="$2"; shift 2 ;;
    --wait) wait_s="$2"; shift 2 ;;
    --keep) keep_tmp=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

IFS=',' read -r -a peer_list <<<"$peers"
need python3 python3
need curl curl
need ss iproute2
for p in "${peer_list[@]}"; do
  case "$p" in
    gantry)
      [[ -x "$gantry_bin" ]] || die "no gantry binary at $gantry_bin (build it, or pass --gantry PATH)"
      gantry_bin="$(cd "$(dirname "$gantry_bin")" && pwd)/$(basename "$gantry_bin")"
      ;;
    haproxy) need haproxy haproxy ;;
    nginx) need nginx nginx-light ;;
    *) die "unknown peer: $p" ;;
  esac
done
on_proxy_cpu=()
on_load_cpu=()

bench_init
backend_port="$(free_port)"
launch backend -- python3 "$repo_dir/bench/conformance/recording_backend.py" "$backend_port"
backend_pid=$launched_pid
wait_ready backend "$backend_pid" "$backend_port"

peer_args=()
for p in "${peer_list[@]}"; do
  start_peer "$p"
  wait_ready "$p" "${proxy_pid[$p]}" "${proxy_port[$p]}"
  peer_args+=(--peer "$p=${proxy_port[$p]}")
done

probe_args=()
if ((use_probes)); then
  if [[ -r "$probes" ]]; then
    probe_args=(--probes "$probes")
  else
    echo "# no Http11Probe data at $probes: only bench/conformance/requests" >&2
  fi
fi

echo "# $(for p in "${peer_list[@]}"; do
  case "$p" in
    gantry) printf 'gantry %s; ' "$("$gantry_bin" --version 2>/dev/null | head -n1 || echo '?')" ;;
    haproxy) printf '%s; ' "$(haproxy -v | head -n1 | cut -d' ' -f1-3)" ;;
    nginx) printf '%s; ' "$(nginx -v 2>&1)" ;;
  esac
done)backend: bench/conformance/recording_backend.py"
echo "# cells: acc|ref, the status(es) or close/timeout, (requests the backend received)"
python3 "$repo_dir/bench/conformance_diff.py" --backend "$backend_port" "${peer_args[@]}" \
  --requests "$repo_dir/bench/conformance/requests" "${probe_args[@]}" \
  ${only:+--only "$only"} --wait "$wait_s"
