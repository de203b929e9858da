#!/usr/bin/env bash
# HTTP load benchmarks of health and durable ingest, in one sitting, against the nginx ceiling:
#   bench/load/run.sh [--runs N] [--duration S] [--no-postgres]
# wrk -t1 -c64 --latency (the method the targets are stated for), -t2 -c32 (the settings the
# Python peer was measured with), -c8 for p99 of ingest; every ingest request carries distinct
# records. Prints medians of N runs.
# Load goes to 127.0.0.1 only; every server started here is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=3 duration=10 postgres=1
while (($#)); do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --no-postgres) postgres=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
scripts/bootstrap --test >/dev/null
scripts/build build -- agentlearn >/dev/null

work=$(mktemp -d /tmp/agentlearn-bench.XXXXXX)
chmod 755 "$work"  # scripts/start-postgres runs the server as the postgres user
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -f "$work/nginx/nginx.pid" ]] && kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
  [[ -d "$work/pg" ]] && scripts/start-postgres stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }

# One wrk run: prints "requests_per_second p99_ms non2xx".
wrk_once() {
  local out
  out=$(wrk "$@")
  local rps p99 non2xx
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' <<<"$out")
  non2xx=$(awk '/^non-2xx responses:/ {print $3}' <<<"$out")
  echo "$rps ${p99:-nan} ${non2xx:-0}"
}
# Median over $runs runs of wrk_once; prints "rps p99 non2xx".
wrk_median() {
  local results=()
  for _ in $(seq "$runs"); do results+=("$(wrk_once "$@")"); done
  printf '%s\n' "${results[@]}" | sort -n -k1 | awk -v n="$runs" 'NR==int((n+1)/2) {print}'
}
report() { printf '%-58s %12s req/s  p99 %8s ms  non-2xx %s\n' "$1" "$2" "$3" "$4"; }

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); wrk -d${duration}s, median of $runs runs"

# The ceiling: nginx `return 200`.
mkdir -p "$work/nginx"
nport=$(free_port)
sed "s|PREFIX|$work/nginx|g; s|PORT|$nport|" bench/load/nginx.conf > "$work/nginx/nginx.conf"
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx"
wait_http "http://127.0.0.1:$nport/"
read -r nginx_rps nginx_p99 _ < <(wrk_median -t1 -c64 -d"${duration}s" --latency "http://127.0.0.1:$nport/")
report "nginx return 200 (ceiling), -t1 -c64" "$nginx_rps" "$nginx_p99" 0
read -r nginx2_rps nginx2_p99 _ < <(wrk_median -t2 -c32 -d"${duration}s" --latency "http://127.0.0.1:$nport/")
report "nginx return 200 (ceiling), -t2 -c32" "$nginx2_rps" "$nginx2_p99" 0
kill "$(cat "$work/nginx/nginx.pid")"; rm -f "$work/nginx/nginx.pid"

bench_store() {
  local name=$1 db=$2
  local port; port=$(free_port)
  build/agentlearn serve --port "$port" --db "$db" --log-level warn >"$work/$name.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_http "http://127.0.0.1:$port/health"
  local url="http://127.0.0.1:$port"
  if [[ $name == sqlite ]]; then
    read -r rps p99 non < <(wrk_median -t1 -c64 -d"${duration}s" --latency "$url/health")
    report "agentlearn GET /health, -t1 -c64" "$rps" "$p99" "$non"
    echo "  health / nginx ratio: $(awk -v a="$rps" -v b="$nginx_rps" 'BEGIN {printf "%.2f", a/b}')"
    read -r rps p99 non < <(wrk_median -t2 -c32 -d"${duration}s" --latency "$url/health")
    report "agentlearn GET /health, -t2 -c32" "$rps" "$p99" "$non"
    echo "  health / nginx ratio: $(awk -v a="$rps" -v b="$nginx2_rps" 'BEGIN {printf "%.2f", a/b}')"
  fi
  read -r rps p99 non < <(wrk_median -t1 -c64 -d"${duration}s" --latency -s bench/load/record.lua "$url/")
  report "$name POST /agent/performance (durable), -t1 -c64" "$rps" "$p99" "$non"
  read -r rps p99 non < <(wrk_median -t2 -c32 -d"${duration}s" --latency -s bench/load/record.lua "$url/")
  report "$name POST /agent/performance (durable), -t2 -c32" "$rps" "$p99" "$non"
  read -r rps p99 non < <(wrk_median -t2 -c8 -d"${duration}s" --latency -s bench/load/record.lua "$url/")
  report "$name POST /agent/performance (durable), -c8" "$rps" "$p99" "$non"
  read -r rps p99 non < <(wrk_median -t2 -c4 -d"${duration}s" --latency -s bench/load/batch.lua "$url/")
  report "$name POST /agent/performance/batch x1000, -c4" "$rps" "$p99" "$non"
  echo "  batch records/s: $(awk -v a="$rps" 'BEGIN {printf "%.0f", a*1000}')"
  echo "  server VmHWM: $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

bench_store sqlite "sqlite:$work/sqlite/agentlearn.db"
if ((postgres)); then
  pg_url=$(scripts/start-postgres start "$work/pg")
  bench_store postgresql "$pg_url"
fi
