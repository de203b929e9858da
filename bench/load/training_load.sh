#!/usr/bin/env bash
# Training beside serving, in one sitting: does a training run make progress while the cores
# are busy, and what does it cost serving?
#   bench/load/training_load.sh [--runs N] [--duration S] [--binary PATH] [--config-extra YAML]
#                               [--stress-seconds S] [--rate R]
# On a server holding the 12,000 swebench-verified runs (../shared/data) with a model set active:
# 1. quiet: POST /learning/train {"wait":true}, N runs (median seconds);
# 2. POST /task/recommend at saturation (wrk -t2 -c32, unseen texts, N runs of S seconds):
#    requests/s and p99 without training; then the same with training runs started back to
#    back through the whole wrk run: p99 with training, and how long each training run took
#    that started and ended inside a wrk run (median), against the quiet median;
# 3. the same at a paced rate (--rate, default 1,500 requests/s: half the saturated rate on
#    2 cores): p99 without and with training;
# 4. one training run beside `stress-ng --cpu 2` (two busy loops of another process, for at most
#    --stress-seconds, default 120): its time, or "did not finish" while the loops ran.
# --binary runs another build (e.g. an older commit's) with the same script and data, so
# before/after figures come from one sitting; --config-extra appends YAML lines to the
# server's config (e.g. "background_idle_class: true"). Load goes to 127.0.0.1 only; every
# process started here is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=3 duration=20 binary=build/agentlearn extra="" stress_seconds=120 rate=1500
while (($#)); do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --config-extra) extra=$2; shift 2 ;;
    --stress-seconds) stress_seconds=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
data=../shared/data/swebench-verified/executions.jsonl
[[ -f $data ]] || { echo "missing $data (the shared data beside the repository)" >&2; exit 1; }
command -v stress-ng >/dev/null || { echo "stress-ng is not installed (scripts/bootstrap --test)" >&2; exit 1; }
[[ $binary == build/agentlearn ]] && scripts/build build -- agentlearn >/dev/null

work=$(mktemp -d /tmp/agentlearn-training-load.XXXXXX)
pids=()
# shellcheck source=bench/load/lib.sh
source bench/load/lib.sh
trap cleanup EXIT
trap 'exit 130' INT TERM

printf 'log_level: warn\ncheck_interval: 86400\n%b\n' "$extra" > "$work/learning.yaml"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); binary $binary; extra config: ${extra:-none}"
python3 bench/load/gen_learning_data.py texts 12000 "$work/texts.lua"
texts="$work/texts.lua"

port=$(free_port)
"$binary" serve --db "sqlite:$work/train.db" --port "$port" --config "$work/learning.yaml" >"$work/server.log" 2>&1 &
pid=$!
pids+=("$pid")
url="http://127.0.0.1:$port"
wait_http "$url/health"
"$binary" import --url "$url" --no-progress "$data" >/dev/null
post "$url/learning/train" '{"wait":true}' >/dev/null   # the first set (trains the embedding)
post "$url/learning/mode" '{"mode":"exploit"}' >/dev/null

# One timed training run: prints its seconds and status.
train_once() {
  local t0 t1 out
  t0=$(date +%s.%N)
  out=$(post "$url/learning/train" '{"wait":true}' || echo '{"status":"request failed"}')
  t1=$(date +%s.%N)
  printf '%s %s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')" \
    "$(python3 -c 'import json,sys; print(json.load(sys.stdin).get("status"))' <<<"$out")"
}
median() { sort -n | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]; else print "nan"}'; }

# --- 1. quiet.
: >"$work/quiet"
for _ in $(seq "$runs"); do train_once >>"$work/quiet"; done
quiet=$(awk '{print $1}' "$work/quiet" | median)

# Training runs back to back while wrk runs (its pid is $1); each finished run's seconds go to
# $2, marked "inside" when it started and ended while wrk was still running.
train_beside() {
  local wrk_pid=$1 out=$2 r
  while kill -0 "$wrk_pid" 2>/dev/null; do
    r=$(train_once)
    if kill -0 "$wrk_pid" 2>/dev/null; then echo "$r inside" >>"$out"; else echo "$r after" >>"$out"; fi
  done
}

# loaded LABEL FILE_WITHOUT FILE_WITH WRK_ARGS...: N runs each without and with training.
loaded() {
  local label=$1 fq=$2 ft=$3 trains=$4; shift 4
  for _ in $(seq "$runs"); do
    sample "$fq" "$pid" "$@"
    (wrk_once "$@" >"$work/wrk.out") &
    local w=$!
    sleep 0.5  # wrk has its connections open before the first run starts
    train_beside "$w" "$trains"
    wait "$w"
    echo "$(cat "$work/wrk.out") 0" >>"$ft"
  done
  summarize "$label, no training" "$fq"
  base_p99=$last_p99
  summarize "$label, training back to back" "$ft"
  with_p99=$last_p99
}

echo
row "what" "req/s" "p50 ms" "p99 ms" "non2xx" "server CPU us/req"
row "---" "---:" "---:" "---:" "---:" "---:"
: >"$work/trains_sat"
loaded "POST /task/recommend -t2 -c32 (saturated)" "$work/sat_q" "$work/sat_t" "$work/trains_sat" \
  -t2 -c32 -d"${duration}s" --latency -s bench/load/recommend.lua "$url/" -- "$texts"
sat_base=$base_p99 sat_with=$with_p99

# --- 3. paced: 16 connections, each pausing; the pause calibrated by one 3 s run.
pace=$(awk -v r="$rate" 'BEGIN {printf "%.3f", 16 * 1000 / r}')
read -r got _ < <(wrk_once -t2 -c16 -d3s --latency -s bench/load/recommend_paced.lua "$url/" -- "$texts" "$pace")
pace=$(awk -v r="$rate" -v p="$pace" -v g="$got" 'BEGIN {o = 16000 / g - p; q = 16000 / r - o; printf "%.3f", (q > 0 ? q : 0)}')
: >"$work/trains_paced"
loaded "POST /task/recommend paced ~$rate/s (-t2 -c16)" "$work/paced_q" "$work/paced_t" "$work/trains_paced" \
  -t2 -c16 -d"${duration}s" --latency -s bench/load/recommend_paced.lua "$url/" -- "$texts" "$pace"
paced_base=$base_p99 paced_with=$with_p99

# --- 4. beside two busy loops of another process.
stress-ng --cpu 2 --timeout "${stress_seconds}s" --quiet &
spid=$!
pids+=("$spid")
sleep 1
read -r stress_s stress_status < <(train_once)
stress_note="$stress_s s ($stress_status)"
if ! kill -0 "$spid" 2>/dev/null; then stress_note="did not finish in the ${stress_seconds} s stress-ng ran (took $stress_s s in all)"; fi
kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true

inside() { awk '$3 == "inside" {print $1}' "$1" | median; }
count_inside() { awk '$3 == "inside"' "$1" | wc -l; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0 && a == a + 0) printf "%.2f", a / b; else print "-"}'; }
sat_train=$(inside "$work/trains_sat") paced_train=$(inside "$work/trains_paced")
echo
echo "training run, quiet: median $quiet s ($(awk '{printf "%s%s", (NR > 1 ? ", " : ""), $1}' "$work/quiet"))"
echo "training run beside saturated recommend: median $sat_train s over $(count_inside "$work/trains_sat") runs inside the wrk runs" \
  "($(ratio "$sat_train" "$quiet")x quiet; all: $(awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $3}' "$work/trains_sat"))"
echo "training run beside paced recommend: median $paced_train s ($(ratio "$paced_train" "$quiet")x quiet)"
echo "training run beside stress-ng --cpu 2: $stress_note ($(ratio "$stress_s" "$quiet")x quiet)"
echo "saturated recommend p99 with training / without: $sat_with / $sat_base ms = $(ratio "$sat_with" "$sat_base")x"
echo "paced recommend p99 with training / without: $paced_with / $paced_base ms = $(ratio "$paced_with" "$paced_base")x"
echo "server VmHWM: $(hwm "$pid")"
