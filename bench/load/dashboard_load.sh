#!/usr/bin/env bash
# The dashboard's load time over 1,000,000 stored executions (target: median under 1 s):
#   bench/load/dashboard_load.sh [DB_URL] [RUNS]
# The server runs with train: false (a training run over 1M rows would share the cores).
# Fills a SQLite store through the batch endpoint (bench/load/batch.lua: 1,000 distinct
# records a request, 20 agents, 8 task types), then loads /dashboard RUNS times (default 5)
# cold in headless Chromium and prints each load, the median and the load average.
# The figure is wall-clock on a shared machine: read it with the load average printed beside it.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/build build -- agentlearn e2e_deps >/dev/null
work=$(mktemp -d /tmp/agentlearn-dash.XXXXXX)
db=${1:-sqlite:$work/agentlearn.db}
runs=${2:-5}
source bench/load/lib.sh
port=$(free_port)
url="http://127.0.0.1:$port"
printf 'train: false\n' >"$work/config.yaml"
build/agentlearn serve --config "$work/config.yaml" --port "$port" --db "$db" --log-level warn >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 600); do curl -sf -o /dev/null "$url/health" && break; sleep 0.5; done  # a 1M store takes a while to open
recorded() { curl -s "$url/analytics/dashboard?since=0&buckets=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["executions"])'; }
have=$(recorded)
start=$(date +%s.%N)
while (( have < 1000000 )); do
  wrk -t2 -c4 -d10s -s bench/load/batch.lua "$url/" >/dev/null
  have=$(recorded)
done
end=$(date +%s.%N)
echo "stored: $have executions (filled in $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.0f", b-a}') s)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
node bench/load/dashboard_load.mjs --url "$url" --modules build/e2e/node_modules --runs "$runs"
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
