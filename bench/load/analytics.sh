#!/usr/bin/env bash
# Load benchmark of the analytics reads and of what the cells cost ingest, in one sitting:
#   bench/load/analytics.sh [--executions N] [--runs N] [--duration S] [--backends "sqlite postgresql"]
#                           [--ingest-rate R] [--baseline-commit REV] [--no-ingest-compare]
#                           [--cache-mb "256 0"]
# 1. A store of N (1,000,000) generated executions (gen_analytics_data.py: 20 agents, 12 task
#    types, timestamps over the 90 days ending now) imported with `agentlearn import --db`
#    (through the group writer and its journal, drained into the cells when it exits), per backend.
# 2. GET /agents/performance and GET /analytics/dashboard with varied filters (analytics.lua:
#    random unaligned since/until, widths from an hour to 90 days, a task type or an agent now
#    and then), no response cache, at -t1 -c1 and -t2 -c32, while a paced single-record ingest
#    (record_paced.lua, about --ingest-rate records/s) runs against the same server; once per
#    size of the in-process cells copy in --cache-mb (analytics_cache_mb; default "256 0": on,
#    then off, on the same store), with the copy's size and hits at the end of each.
# 3. Single-record ingest (POST /agent/performance, record.lua) at -t2 -c32 and -c8 on this build
#    and on a build without the cells (REV, default the merge base with main; built in the temp
#    dir), each on an empty SQLite store, runs alternating.
# Prints medians of N runs (requests/s, p50, p99) and the server's CPU time per request (from
# /proc/PID/stat; disturbed less by the other work on a shared machine), with the load average.
# Load goes to 127.0.0.1 only; every server started here is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
nexec=1000000 runs=3 duration=10 backends="sqlite postgresql" ingest_rate=200 base_rev="" compare=1 cache_mbs="256 0"
while (($#)); do
  case "$1" in
    --executions) nexec=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --backends) backends=$2; shift 2 ;;
    --ingest-rate) ingest_rate=$2; shift 2 ;;
    --baseline-commit) base_rev=$2; shift 2 ;;
    --no-ingest-compare) compare=0; shift ;;
    --cache-mb) cache_mbs=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
scripts/build build -- agentlearn >/dev/null

work=$(mktemp -d /tmp/agentlearn-analytics-bench.XXXXXX)
pids=()
# shellcheck source=bench/load/lib.sh
source bench/load/lib.sh
pg_dir=""
analytics_cleanup() {
  [[ -n $pg_dir ]] && { scripts/start-postgres stop "$pg_dir" >/dev/null 2>&1; rm -rf "$pg_dir"; } || true
  [[ -n ${base_tree:-} ]] && git worktree remove --force "$base_tree" >/dev/null 2>&1 || true
  cleanup
}
trap analytics_cleanup EXIT
trap 'exit 130' INT TERM

end=$(date +%s)
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "machine: $(nproc) cores, load $(load); wrk -d${duration}s, median of $runs runs"
t0=$(date +%s.%N)
python3 bench/load/gen_analytics_data.py "$nexec" "$work/data.jsonl" 90 "$end"
echo "generated $nexec executions in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s ($(du -h "$work/data.jsonl" | cut -f1))"
# train: false: a training run over a million rows would share the cores with the reads.
printf 'log_level: warn\ncheck_interval: 86400\ntrain: false\n' > "$work/serve.yaml"

# serve URL NAME [BIN [CONFIG]]: starts this build on URL; sets pid, url.
serve() {
  local bin=${3:-build/agentlearn} config=${4:-$work/serve.yaml}
  port=$(free_port)
  "$bin" serve --db "$1" --port "$port" --config "$config" >"$work/$2.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  url="http://127.0.0.1:$port"
  wait_http "$url/health" || { cat "$work/$2.log" >&2; exit 1; }
}
ingest_start() {  # paced single-record ingest against $url: 4 connections, each pausing
  local pause
  pause=$(awk -v r="$ingest_rate" 'BEGIN {printf "%.2f", 4 * 1000 / r}')
  wrk -t1 -c4 -d3600s -s bench/load/record_paced.lua "$url/" -- "" "$pause" >"$work/ingest.out" 2>&1 &
  ingest=$!
  pids+=("$ingest")
  ingest_count0=$(curl -sf "$url/metrics" | awk '$1 == "executions_recorded_total" {print $2}')
  ingest_t0=$(date +%s.%N)
}
ingest_stop() {
  local n1
  n1=$(curl -sf "$url/metrics" | awk '$1 == "executions_recorded_total" {print $2}')
  kill "$ingest"; wait "$ingest" 2>/dev/null || true
  ingest_note="ingest beside the reads: $(awk -v a="$ingest_count0" -v b="$n1" -v t0="$ingest_t0" -v t1="$(date +%s.%N)" \
    'BEGIN {printf "%.0f records/s", (b - a) / (t1 - t0)}')"
}

ceiling_table
notes=()
for backend in $backends; do
  case $backend in
    sqlite) db="sqlite:$work/analytics.db" ;;
    postgresql)
      pg_dir=$(mktemp -d /tmp/agentlearn-analytics-pg.XXXXXX)  # its own: postgres must reach it
      db=$(scripts/start-postgres start "$pg_dir")
      ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
  t0=$(date +%s.%N)
  build/agentlearn import --db "$db" --no-progress "$work/data.jsonl" >/dev/null
  notes+=("$backend: imported $nexec executions (the journal drained at its end) in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}') s")
  for mb in $cache_mbs; do
    { cat "$work/serve.yaml"; echo "analytics_cache_mb: $mb"; } >"$work/serve-$mb.yaml"
    serve "$db" "$backend-$mb" build/agentlearn "$work/serve-$mb.yaml"
    ingest_start
    for path in /agents/performance /analytics/dashboard; do
      measure "$backend GET $path, copy ${mb} MiB, -t1 -c1 (load $(load))" -t1 -c1 -d"${duration}s" --latency \
        -s bench/load/analytics.lua "$url/" -- "$path" "$end" 90
      measure "$backend GET $path, copy ${mb} MiB, -t2 -c32 (load $(load))" -t2 -c32 -d"${duration}s" --latency \
        -s bench/load/analytics.lua "$url/" -- "$path" "$end" 90
    done
    ingest_stop
    notes+=("$backend, copy $mb MiB: $ingest_note")
    notes+=("$backend, copy $mb MiB, at the end: $(curl -sf "$url/metrics" |
      awk '$1 ~ /^analytics_cell_cache_/ {sub("analytics_cell_cache_", "", $1); printf "%s=%s ", $1, $2}')server peak RSS $(hwm "$pid")")
    stop_server
  done
done

if ((compare)); then
  # The same server without the cells: the merge base with main (or --baseline-commit), built here.
  base_rev=${base_rev:-$(git merge-base HEAD main)}
  base_tree="$work/base"
  git worktree add --detach "$base_tree" "$base_rev" >/dev/null 2>&1
  (cd "$base_tree" && scripts/build build -- agentlearn >/dev/null)
  serve "sqlite:$work/ingest_cells.db" ingest_cells
  apid=$pid aurl=$url
  serve "sqlite:$work/ingest_base.db" ingest_base "$base_tree/build/agentlearn"
  bpid=$pid burl=$url
  alternate bench/load/record.lua "POST /agent/performance, with cells (this build)" "$apid" "$aurl" \
    "POST /agent/performance, without cells ($(git rev-parse --short "$base_rev"))" "$bpid" "$burl"
  notes+=("ingest with cells / without (median requests/s): ${ratios[*]}")
fi

nginx_start
measure "nginx return 200 (ceiling again), -t2 -c32" -t2 -c32 -d"${duration}s" --latency "$nginx_url"
nginx_stop
echo
printf '%s\n' "${notes[@]}"
echo "load at the end: $(load)"
