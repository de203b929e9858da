#!/usr/bin/env bash
# Load benchmarks of the learning loop, in one sitting, against the nginx ceiling:
#   bench/load/learning.sh [--runs N] [--duration S] [--texts N] [--train-executions N]
#                          [--train-runs N] [--half-rate R] [--threads N]
# 1. POST /task/recommend, 24 agents, models trained on the 12,000 swebench-verified runs,
#    requests carrying --texts distinct task texts the server has not seen (generated at run
#    time by gen_learning_data.py, fixed seed), no response cache: wrk -t2 -c32 and -t2 -c8,
#    in exploit and online mode; then at a capped rate (--half-rate, default 1,500 requests/s,
#    half the 3,000 target), runs without and with training looping in the background alternating.
# 2. Single-record ingest, wrk -t2 -c32 and -c8, with a model set active (anomaly scoring at
#    ingest; a check run counts numeric anomaly_score in the answers) and on a server with the
#    same data and no models, same build, runs alternating between the two.
# 3. A training run on --train-executions (100,000) generated executions: POST /learning/train
#    {"wait":true}, the whole duration and models[*].training_seconds; server VmHWM.
# --threads N sets the servers' HTTP I/O threads (default 0: cores - 1, i.e. 1 on 2 cores;
# recommendations are computed on the I/O threads).
# Prints medians of N runs (requests/s, p50, p99) and the server's CPU time per request (less
# disturbed by other work on the machine). Training runs after the first may reuse the
# embedding (marked). Load goes to 127.0.0.1 only; every server
# started here is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=3 duration=10 ntexts=12000 ntrain=100000 train_runs=2 half_rate=1500 threads=0
while (($#)); do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --texts) ntexts=$2; shift 2 ;;
    --train-executions) ntrain=$2; shift 2 ;;
    --train-runs) train_runs=$2; shift 2 ;;
    --half-rate) half_rate=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
scripts/build build -- agentlearn >/dev/null

work=$(mktemp -d /tmp/agentlearn-learning-bench.XXXXXX)
pids=()
# shellcheck source=bench/load/lib.sh
source bench/load/lib.sh
trap cleanup EXIT
trap 'exit 130' INT TERM

notes=()
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); wrk -d${duration}s, median of $runs runs; server threads: $threads"
python3 bench/load/gen_learning_data.py texts "$ntexts" "$work/texts.lua"
python3 bench/load/gen_learning_data.py executions "$ntrain" "$work/train.jsonl"
echo "generated $ntexts unseen task texts and $ntrain executions ($(du -h "$work/train.jsonl" | cut -f1))"
# check_interval long: nothing trains unless asked (POST /learning/train), so the steady-state
# figures have no training under them and the training-under-load figures control when it runs.
printf 'log_level: warn\ncheck_interval: 86400\nthreads: %d\n' "$threads" > "$work/learning.yaml"

# The ceiling: nginx `return 200`, at the settings of the targets.
ceiling_table


# --- 1 and 2: a server with the 12,000 swebench-verified runs and a trained model set.
# Both servers get the 12,000 runs; only "models" trains a model set, so the ingest pair differs
# only by anomaly scoring. Their runs alternate, so the shared machine's other work falls on both.
start_server nomodels "$work/learning.yaml"
npid=$pid nurl=$url
build/agentlearn import --url "$nurl" --no-progress ../shared/data/swebench-verified/executions.jsonl >/dev/null
start_server models "$work/learning.yaml"
mpid=$pid murl=$url
build/agentlearn import --url "$murl" --no-progress ../shared/data/swebench-verified/executions.jsonl >/dev/null
t0=$(date +%s.%N)
train_json=$(post "$murl/learning/train" '{"wait":true}')
t1=$(date +%s.%N)
active=$(curl -sf "$murl/models/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["active_model_set"])')
[[ $active != None ]] || { echo "no active model set after training: $train_json" >&2; exit 1; }
train12k=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
post "$murl/learning/mode" '{"mode":"exploit"}' >/dev/null

# --- 1: recommendations.
pid=$mpid url=$murl
texts="$work/texts.lua"
check=$(post "$url/task/recommend" "$(sed -n 2p "$texts" | sed 's/^\[==\[//; s/\]==\],$//')" |
  python3 -c 'import json,sys; a=json.load(sys.stdin); print(len(a["candidates"]), a["mode"], a.get("model_version"))')
read -r nagents mode_seen version_seen <<<"$check"
measure "POST /task/recommend, exploit, $nagents agents, -t2 -c32" -t2 -c32 -d"${duration}s" --latency -s bench/load/recommend.lua "$url/" -- "$texts"
rec_rps=$last_rps
measure "POST /task/recommend, exploit, -t2 -c8" -t2 -c8 -d"${duration}s" --latency -s bench/load/recommend.lua "$url/" -- "$texts"
notes+=("recommend / nginx at -t2 -c32: $(awk -v a="$rec_rps" -v b="$nginx_rps" 'BEGIN {printf "%.3f", a/b}')")

# At a capped rate: 16 connections, each pausing between requests; the pause is calibrated by
# one 3 s run (what a request cycle costs beyond the pause is taken off).
pace=$(awk -v r="$half_rate" 'BEGIN {printf "%.3f", 16 * 1000 / r}')
read -r got _ < <(wrk_once -t2 -c16 -d3s --latency -s bench/load/recommend_paced.lua "$url/" -- "$texts" "$pace")
pace=$(awk -v r="$half_rate" -v p="$pace" -v g="$got" 'BEGIN {o = 16000 / g - p; q = 16000 / r - o; printf "%.3f", (q > 0 ? q : 0)}')
train_loop_start() {
  (while :; do post "$url/learning/train" '{"wait":true}' >>"$work/train_loop.jsonl" || true; echo >>"$work/train_loop.jsonl"; done) &
  loop=$!
  pids+=("$loop")
  sleep 0.5
}
train_loop_stop() {  # stops the loop and waits for the training run under way to end
  kill "$loop"; wait "$loop" 2>/dev/null || true
  for _ in $(seq 600); do
    curl -sf "$url/models/status" | python3 -c 'import json,sys; t=json.load(sys.stdin)["training"]; sys.exit(1 if t["current_job"] else 0)' && break
    sleep 0.2
  done
}
fq=$(mktemp "$work/runs.XXXXXX") ft=$(mktemp "$work/runs.XXXXXX")
for _ in $(seq "$runs"); do
  sample "$fq" "$pid" -t2 -c16 -d"${duration}s" --latency -s bench/load/recommend_paced.lua "$url/" -- "$texts" "$pace"
  train_loop_start
  sample "$ft" "" -t2 -c16 -d"${duration}s" --latency -s bench/load/recommend_paced.lua "$url/" -- "$texts" "$pace"
  train_loop_stop
done
summarize "POST /task/recommend, exploit, paced ~$half_rate/s (-t2 -c16)" "$fq"
paced_p99=$last_p99
summarize "  same, training (12,000 runs) looping in the background" "$ft"
train_p99=$last_p99
notes+=("paced recommend (pause ${pace} ms per connection) p99 with training / without: $(awk -v a="$train_p99" -v b="$paced_p99" 'BEGIN {printf "%.2f", a/b}') ($(grep -c '"status":"succeeded"' "$work/train_loop.jsonl" || true) training runs finished during the $runs loaded runs)")

post "$url/learning/mode" '{"mode":"online"}' >/dev/null
measure "POST /task/recommend, online (logged), -t2 -c32" -t2 -c32 -d"${duration}s" --latency -s bench/load/recommend.lua "$url/" -- "$texts"
measure "POST /task/recommend, online (logged), -t2 -c8" -t2 -c8 -d"${duration}s" --latency -s bench/load/recommend.lua "$url/" -- "$texts"
# --- 2: single-record ingest, with and without a model set (after the recommendations, so the
# training runs above work on the 12,000 runs; the models server also holds the online-mode
# recommendation log by then).
scored=$(wrk -t2 -c8 -d2s -s bench/load/record_scored.lua "$murl/" -- check | awk '/anomaly_score numeric/ {print $3 "/" $5}')
unscored=$(wrk -t2 -c8 -d2s -s bench/load/record_scored.lua "$nurl/" -- check | awk '/anomaly_score numeric/ {print $3 "/" $5}')
alternate bench/load/record_scored.lua "POST /agent/performance, model set active (scored)" "$mpid" "$murl" \
  "POST /agent/performance, no models (same data)" "$npid" "$nurl"
kill "$npid"; wait "$npid" 2>/dev/null || true
pid=$mpid

models_hwm=$(hwm "$pid")
stop_server

nginx_start
measure "nginx return 200 (ceiling again), -t2 -c32" -t2 -c32 -d"${duration}s" --latency "$nginx_url"
nginx_stop

echo
printf '%s\n' "${notes[@]}"
echo "recommend answers: $nagents candidates, mode $mode_seen, model set $version_seen; training on 12,000 runs took ${train12k} s"
echo "ingest check runs: numeric anomaly_score in $scored answers with models, $unscored without"
echo "server VmHWM (12,000 runs + the ingest runs, models, all of the above): $models_hwm"

# --- 3: a training run on $ntrain executions.
start_server train "$work/learning.yaml"
t0=$(date +%s.%N)
build/agentlearn import --url "$url" --no-progress "$work/train.jsonl" >/dev/null
t1=$(date +%s.%N)
echo
echo "imported $ntrain executions in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s; VmHWM after import $(hwm "$pid")"
echo
printf '| %-9s | %7s | %14s | %21s | %16s | %17s | %19s | %8s |\n' "run" "whole s" "agent_selector" "performance_predictor" "task_classifier" "anomaly_detector" "embedding_generator" "promoted"
printf '| %-9s | %7s | %14s | %21s | %16s | %17s | %19s | %8s |\n' "---" "---:" "---:" "---:" "---:" "---:" "---:" "---"
for i in $(seq "$train_runs"); do
  t0=$(date +%s.%N)
  post "$url/learning/train" '{"wait":true}' >"$work/train$i.json"
  t1=$(date +%s.%N)
  python3 - "$work/train$i.json" "$i" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
m = j["models"]
def cell(name):
    if name not in m: return "-"
    s = f'{m[name]["training_seconds"]:.2f} (n={m[name]["training_samples"]})'
    return s + (" reused" if m[name].get("reused") else "")
print("| %-9s | %7s | %14s | %21s | %16s | %17s | %19s | %8s |" % (
    sys.argv[2], sys.argv[3], cell("agent_selector"), cell("performance_predictor"), cell("task_classifier"),
    cell("anomaly_detector"), cell("embedding_generator"), j.get("promoted")))
if j.get("status") != "succeeded": print("  status:", j.get("status"), j.get("reason"))
EOF
done
echo
echo "server VmHWM after training on $ntrain executions: $(hwm "$pid")"
stop_server
