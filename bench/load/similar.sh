#!/usr/bin/env bash
# Load benchmark of similar tasks, in one sitting, against the nginx ceiling:
#   bench/load/similar.sh [--n N] [--runs N] [--duration S] [--threads N] [--perf]
# 1. A SQLite store with the 12,000 swebench-verified runs (imported, a model set trained on
#    them: its embedding_generator's version) and --n (1,000,000) synthetic executions, one
#    task each, with stored embeddings of that version (bench/similar_fill: 256-d unit vectors
#    around 1,000 centres, noise sd 0.3/sqrt(256)). A copy of it for the server without
#    similar tasks.
# 2. The first start on it: the index is built from the store in the background. Meanwhile
#    wrk (-t2 -c8) on GET /health and POST /task/recommend, --runs times each, and a probe
#    (one curl of each a second, for the whole build) show that serving continues; then
#    last_build_seconds, memory_bytes / indexed_tasks and the server's RSS. The same wrk runs
#    once the index is ready, for comparison.
# 3. GET /tasks/similar (bench/load/similar.lua), k=10, min_similarity=0.8: random stored
#    task_ids (an index lookup, a search and the runs of the 10 tasks read from the store), and
#    q=TEXT with the 500 swebench task texts (a Doc2Vec inference before the search), wrk -t1
#    -c1 (no queue), -t2 -c8 and -t2 -c32. With --perf, one more -c8 run of each under
#    `perf record` and the server's hottest functions.
# 4. A restart: the saved index file is loaded (last_build_source "file") and checked against
#    the store; time to ready.
# 5. Single-record ingest (bench/load/record.lua), wrk -t2 -c32 and -c8, on the indexed server
#    (embedder running) and on the copy served with `similar_tasks: false`, runs alternating;
#    then how long the embedder takes to catch up with what was recorded.
# Prints medians of --runs runs (requests/s, p50, p99) and the server's CPU time per request.
# wrk and the servers share the machine's cores: the index build (idle priority) slows down
# while wrk runs. Load goes to 127.0.0.1 only; every server started here is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=1000000 runs=3 duration=10 threads=0 perf=0
while (($#)); do
  case "$1" in
    --n) n=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --perf) perf=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
scripts/build build -- agentlearn similar_fill >/dev/null

work=$(mktemp -d /tmp/agentlearn-similar-bench.XXXXXX)
pids=()
# shellcheck source=bench/load/lib.sh
source bench/load/lib.sh
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }
# similar URL FIELD...: fields of /health's similar_tasks, space-separated.
similar() {
  curl -sf "$1/health" | python3 -c '
import json, sys
s = json.load(sys.stdin)["similar_tasks"]
print(*(s[k] for k in sys.argv[1:]))' "${@:2}"
}
rss() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
# wait_ready URL: until /health says an index is ready and none is building.
wait_ready() {
  until [[ $(similar "$1" ready building) == "True False" ]]; do sleep 1; done
}
max_id() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT max(id) FROM executions").fetchone()[0])' "$1"; }

notes=()
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); wrk -d${duration}s, median of $runs runs; server threads: $threads; N = $n"

# --- 1: the store.
swe=../shared/data/swebench-verified/executions.jsonl
t0=$(now)
build/agentlearn import --db "sqlite:$work/on.db" --no-progress "$swe" >/dev/null
build/agentlearn train --db "sqlite:$work/on.db" >/dev/null 2>&1
build/bench/similar_fill --db "sqlite:$work/on.db" --n="$n" 2>/dev/null
for f in "$work"/on.db*; do cp "$f" "${f/on.db/off.db}"; done
echo "store: 12,000 swebench runs + $n synthetic executions with embeddings, $(du -h "$work/on.db" | cut -f1), made in $(since "$t0") s"
# The q texts: the 500 distinct swebench task texts, URL-encoded; the recommend bodies: unseen texts.
python3 - "$swe" "$work/q.lua" <<'EOF'
import json, sys, urllib.parse
texts = sorted({json.loads(l)["task_description"] for l in open(sys.argv[1]) if l.strip()})
with open(sys.argv[2], "w") as out:
    out.write("return {\n" + "".join('"%s",\n' % urllib.parse.quote(t, safe="") for t in texts) + "}\n")
EOF
python3 bench/load/gen_learning_data.py texts 2000 "$work/texts.lua"
rec_body=$(sed -n 2p "$work/texts.lua" | sed 's/^\[==\[//; s/\]==\],$//')
# Nothing trains on its own (the set trained above stays: one embedding version throughout).
common="log_level: info\ncheck_interval: 86400\nretrain_threshold: 1000000000\nthreads: $threads\n"
printf "$common" >"$work/on.yaml"
printf "${common}similar_tasks: false\n" >"$work/off.yaml"

ceiling_table

# --- 2: the first start builds the index from the store.
t_start=$(now)
start_server on "$work/on.yaml"
opid=$pid ourl=$url
rss_start=$(rss "$opid")
# The probe: one GET /health and one POST /task/recommend a second while the index builds.
(
  while :; do
    h=$(curl -s -o "$work/probe.json" -w '%{http_code} %{time_total}' "$ourl/health" || echo "000 0")
    r=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -X POST -H 'Content-Type: application/json' \
      -d "$rec_body" "$ourl/task/recommend" || echo "000 0")
    echo "$h $r $(grep -o '"building":[a-z]*' "$work/probe.json" | cut -d: -f2) $(rss "$opid")" >>"$work/probe.txt"
    sleep 1
  done
) &
probe=$!
pids+=("$probe")
fh=$(mktemp "$work/runs.XXXXXX") fr=$(mktemp "$work/runs.XXXXXX")
loaded=0 ended_under_load=0
for _ in $(seq "$runs"); do
  [[ $(similar "$ourl" building) == True ]] || break
  sample "$fh" "" -t2 -c8 -d"${duration}s" --latency "$ourl/health"
  sample "$fr" "" -t2 -c8 -d"${duration}s" --latency -s bench/load/recommend.lua "$ourl/" -- "$work/texts.lua"
  loaded=$((loaded + 2 * duration))
  [[ $(similar "$ourl" building) == True ]] || ended_under_load=1
done
if [[ -s $fh ]]; then
  summarize "GET /health while the index builds, -t2 -c8" "$fh"
  summarize "POST /task/recommend while the index builds, -t2 -c8" "$fr"
fi
wait_ready "$ourl"
ready_wall=$(since "$t_start")
kill "$probe"; wait "$probe" 2>/dev/null || true
read -r build_s build_src tasks bytes < <(similar "$ourl" last_build_seconds last_build_source indexed_tasks memory_bytes)
rss_ready=$(rss "$opid")
hwm_ready=$(hwm "$opid")
# The probes while building: p50 / p99 / max of each, in ms.
probe_summary=$(python3 - "$work/probe.txt" <<'EOF'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.split()[4:5] == ["true"]]
def stats(code, t):
    v = sorted(float(r[t]) * 1000 for r in rows)
    bad = sum(r[code] != "200" for r in rows)
    if not v: return "none"
    return "p50 %.1f, p99 %.1f, max %.1f ms, non-200 %d" % (v[len(v) // 2], v[min(len(v) - 1, int(len(v) * 0.99))], v[-1], bad)
print("%d probes while building: GET /health %s; POST /task/recommend %s" % (len(rows), stats(0, 1), stats(2, 3)))
EOF
)
pid=$opid
measure "GET /health, index ready, -t2 -c8" -t2 -c8 -d"${duration}s" --latency "$ourl/health"
measure "POST /task/recommend, index ready (3 similar tasks), -t2 -c8" -t2 -c8 -d"${duration}s" --latency \
  -s bench/load/recommend.lua "$ourl/" -- "$work/texts.lua"

# --- 3: GET /tasks/similar.
check=$(curl -sf "$ourl/tasks/similar?task_id=synthetic-$((n / 2))&k=10&min_similarity=0.8" | python3 -c '
import json, sys
r = json.load(sys.stdin)["results"]
print(len(r), "%.3f" % (r[0]["similarity"] if r else 0), "%.3f" % (r[-1]["similarity"] if r else 0))')
qcheck=$(curl -sf "$ourl/tasks/similar?q=$(sed -n 2p "$work/q.lua" | tr -d '",')&k=10&min_similarity=0.8" |
  python3 -c 'import json, sys; print(len(json.load(sys.stdin)["results"]))')
# -t1 -c1: one request at a time, the latency of a request with no queue in front of it.
for tc in "-t1 -c1" "-t2 -c8" "-t2 -c32"; do
  measure "GET /tasks/similar?task_id (random of $n), k=10, $tc" $tc -d"${duration}s" --latency \
    -s bench/load/similar.lua "$ourl/" -- task "$n"
done
# Paced: 4 connections each waiting 3 ms after every answer, about 1,000 requests/s (a
# third of what the 2 cores saturate at): the latency at a moderate load.
measure "GET /tasks/similar?task_id, paced ~1,000/s (-t2 -c4, 3 ms pauses)" -t2 -c4 -d"${duration}s" --latency \
  -s bench/load/similar.lua "$ourl/" -- task "$n" 10 0.8 3
for tc in "-t1 -c1" "-t2 -c8" "-t2 -c32"; do
  measure "GET /tasks/similar?q=TEXT (500 texts), k=10, $tc" $tc -d"${duration}s" --latency \
    -s bench/load/similar.lua "$ourl/" -- q "$work/q.lua"
done

# profile LABEL WRK_ARGS...: one wrk run with perf sampling the server; its hottest symbols.
profile() {
  local label=$1; shift
  perf record -q -F 999 -p "$opid" -o "$work/perf.data" -- sleep "$duration" 2>/dev/null &
  local rec=$!
  wrk_once "$@" >/dev/null
  wait "$rec" || true
  echo "perf, $label: the server's hottest symbols (self, % of its samples)" >>"$work/perf.txt"
  perf report -i "$work/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null |
    awk '/^ +[0-9.]+%/ && ++k <= 25 {sub(/[ -]+$/, ""); gsub(/  +/, "  "); print " " $0}' >>"$work/perf.txt"
}
if ((perf)); then
  profile "task_id, -t2 -c8" -t2 -c8 -d"${duration}s" -s bench/load/similar.lua "$ourl/" -- task "$n"
  profile "q=TEXT, -t2 -c8" -t2 -c8 -d"${duration}s" -s bench/load/similar.lua "$ourl/" -- q "$work/q.lua"
fi

# --- 4: a restart loads the saved index.
t0=$(now)
stop_server
stop_s=$(since "$t0")
index_size=$(du -ch "$work"/on.db.similar.hnsw* | tail -1 | cut -f1)
t_start=$(now)
start_server on "$work/on.yaml"
opid=$pid ourl=$url
wait_ready "$ourl"
restart_wall=$(since "$t_start")
read -r restart_s restart_src restart_tasks < <(similar "$ourl" last_build_seconds last_build_source indexed_tasks)
rss_restart=$(rss "$opid")

# --- 5: single-record ingest, indexed server against the copy without similar tasks.
start_server off "$work/off.yaml"
fpid=$pid furl=$url
sleep 2
rss_off=$(rss "$fpid")
alternate bench/load/record.lua "POST /agent/performance, similar tasks on" "$opid" "$ourl" \
  "POST /agent/performance, similar_tasks: false" "$fpid" "$furl"
# How far behind the embedder is once the load stops, and how long it takes to catch up.
t0=$(now)
last=$(max_id "$work/on.db")
behind=$((last - $(similar "$ourl" embedded_through_id)))
for _ in $(seq 300); do (($(similar "$ourl" embedded_through_id) >= last)) && break; sleep 1; done
catch_up=$(since "$t0")
read -r through computed on_tasks < <(similar "$ourl" embedded_through_id embeddings_computed indexed_tasks)

pid=
nginx_start
measure "nginx return 200 (ceiling again), -t2 -c32" -t2 -c32 -d"${duration}s" --latency "$nginx_url"
nginx_stop

echo
echo "first start (index from the store): last_build_seconds $build_s (source $build_src), start to ready ${ready_wall} s;" \
  "$tasks tasks indexed; wrk load on the server during the first ${loaded} s of it$( ((ended_under_load)) && echo ' (the build ended under load)')"
echo "  $probe_summary"
echo "memory: memory_bytes $bytes = $(awk -v a="$bytes" -v b="$tasks" 'BEGIN {printf "%.0f", a / b}') bytes per indexed task;" \
  "RSS at start ${rss_start} MiB, index ready ${rss_ready} MiB (VmHWM $hwm_ready), growth" \
  "$(awk -v a="$rss_ready" -v b="$rss_start" -v t="$tasks" 'BEGIN {printf "%.0f MiB = %.0f bytes per task", a - b, (a - b) * 1048576 / t}')"
echo "  after a restart from the file ${rss_restart} MiB; the same store served with similar_tasks: false ${rss_off} MiB" \
  "(difference $(awk -v a="$rss_restart" -v b="$rss_off" -v t="$restart_tasks" 'BEGIN {printf "%.0f MiB = %.0f bytes per task", a - b, (a - b) * 1048576 / t}'))"
echo "restart: stop (SIGTERM, nothing to save) ${stop_s} s; index files $index_size; last_build_seconds $restart_s" \
  "(source $restart_src), start to ready ${restart_wall} s, $restart_tasks tasks"
echo "/tasks/similar checks: task_id synthetic-$((n / 2)) -> results, top and 10th similarity: $check; one q text -> $qcheck results (min_similarity 0.8)"
echo "ingest, similar tasks on / off (median requests/s): ${ratios[*]}"
echo "embedder after the ingest runs: $behind executions behind when the load stopped, caught up in ${catch_up} s;" \
  "embeddings computed by this process $computed, $on_tasks tasks indexed"
[[ -f $work/perf.txt ]] && { echo; cat "$work/perf.txt"; }
exit 0
