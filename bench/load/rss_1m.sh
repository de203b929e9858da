#!/usr/bin/env bash
# Server memory after 1,000,000 stored executions (target: <= 200 MB), SQLite by default:
#   bench/load/rss_1m.sh [DB_URL]
# Fills the store through the batch endpoint (1,000 distinct records a request), then reads
# VmRSS and VmHWM, times one GET /agents/performance over all rows, and reads them again.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/build build -- agentlearn >/dev/null
work=$(mktemp -d /tmp/agentlearn-rss.XXXXXX)
db=${1:-sqlite:$work/agentlearn.db}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
build/agentlearn serve --port "$port" --db "$db" --log-level warn >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done
recorded() { curl -s "http://127.0.0.1:$port/metrics" | awk '$1=="executions_recorded_total" {printf "%d", $2}'; }
start=$(date +%s.%N)
while (( $(recorded) < 1000000 )); do
  wrk -t2 -c4 -d5s -s bench/load/batch.lua "http://127.0.0.1:$port/" >/dev/null
done
end=$(date +%s.%N)
echo "stored: $(recorded) executions in $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b-a}') s"
echo "after ingest:    $(grep -E 'VmRSS|VmHWM' /proc/$pid/status | tr -s ' \n' ' ')"
t0=$(date +%s.%N)
curl -s -o /dev/null "http://127.0.0.1:$port/agents/performance"
t1=$(date +%s.%N)
echo "GET /agents/performance over all rows: $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b-a}') s"
echo "after analytics: $(grep -E 'VmRSS|VmHWM' /proc/$pid/status | tr -s ' \n' ' ')"
