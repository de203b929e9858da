#!/usr/bin/env bash
# Single-record ingest against the nginx ceiling, in one sitting:
#   bench/load/ingest.sh [--runs N] [--duration S] [--binary PATH] [--before PATH] [--no-similar]
# A server on the embedded SQLite store holds the 12,000 swebench-verified runs and a model set
# trained on them (anomaly scoring at ingest, the background embedder writing each new
# execution's task vector). Then, runs alternating so the machine's other work falls on both:
# nginx `return 200` at wrk -t2 -c32, and POST /agent/performance (one execution per request,
# bench/load/record_scored.lua) at wrk -t2 -c32.
# Prints, per figure, the median of N runs: requests/s, p99, the ratio to the nginx run just
# before, and for the server its CPU time per record (utime + stime from /proc/PID/stat, which
# other work on a shared machine disturbs less than requests/s), group commits per second and
# the mean group size (from its store_write_group_records histogram), fsyncs per second and
# the mean time of one (every fsync and fdatasync of the server, traced by strace with a
# seccomp filter, so only those calls stop), and the load average before each run.
# --binary serves another build; --before PATH starts a second server from PATH (a previous
# build), its runs alternating with the first's, for a before/after in one sitting.
# --no-similar turns the similar-task embedder off in both servers (similar_tasks: false):
# today's embedder keeps up with ingest (every new execution embedded and indexed during the
# run), while older builds' fell behind under load (commit 328b098 embedded 148 of ~124,000
# records during a 10 s run), deferring that work; with it off, both measure ingest alone.
# Load goes to 127.0.0.1 only; every process started here is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=3 duration=10 binary=build/agentlearn before= similar=true
while (($#)); do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --before) before=$2; shift 2 ;;
    --no-similar) similar=false; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $binary != build/agentlearn ]] || scripts/build build -- agentlearn >/dev/null
command -v strace >/dev/null || { echo "ingest.sh needs strace (fsync counts)" >&2; exit 1; }

work=$(mktemp -d /tmp/agentlearn-ingest-bench.XXXXXX)
pids=()
# shellcheck source=bench/load/lib.sh
source bench/load/lib.sh
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); wrk -t2 -c32 -d${duration}s, median of $runs runs; server $binary; similar_tasks: $similar"
printf 'log_level: warn\ncheck_interval: 86400\nsimilar_tasks: %s\n' "$similar" > "$work/learning.yaml"

# start_traced NAME BINARY: serves $work/NAME.db under strace, where only fsync and fdatasync
# stop it (seccomp-bpf), each a line of $work/NAME.fsync; fills it with the 12,000 runs and
# trains a model set. Sets pid and url.
start_traced() {
  local name=$1 bin=$2 port tracer
  port=$(free_port)
  strace -f --seccomp-bpf -qq -e trace=fsync,fdatasync -e signal=none -y -T -o "$work/$name.fsync" \
    "$bin" serve --db "sqlite:$work/$name.db" --port "$port" --config "$work/learning.yaml" >"$work/$name.log" 2>&1 &
  tracer=$!
  pids+=("$tracer")
  url="http://127.0.0.1:$port"
  wait_http "$url/health"
  pid=$(pgrep -P "$tracer" | head -1)
  [[ -n $pid ]] || { echo "cannot find the server under strace" >&2; exit 1; }
  pids=("$pid" "${pids[@]}")  # the server stops first, then its tracer
  "$bin" import --url "$url" --no-progress ../shared/data/swebench-verified/executions.jsonl >/dev/null
  local train_json active scored
  train_json=$(post "$url/learning/train" '{"wait":true}')
  active=$(curl -sf "$url/models/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["active_model_set"])')
  [[ $active != None ]] || { echo "no active model set after training: $train_json" >&2; exit 1; }
  scored=$(wrk -t2 -c8 -d2s -s bench/load/record_scored.lua "$url/" -- check | awk '/anomaly_score numeric/ {print $3 "/" $5}')
  echo "$name ($bin): model set $active active; numeric anomaly_score in $scored answers of a check run"
}

# "groups records" from a server's metrics: group commits and records written so far.
groups() {
  curl -sf "$1/metrics" | awk '/^store_write_group_records_count/ {c = $2} /^store_write_group_records_sum/ {s = $2}
    END {printf "%d %d\n", c, s}'
}
fsyncs() { grep -c 'sync(' "$work/$1.fsync" || true; }
# fsync_stats NAME FROM TO: of NAME's fsync lines FROM+1..TO, "mean_ms wal_share" (the time each
# call took, and the fraction that were the WAL's: the others are checkpoints and index files).
fsync_stats() {
  (($3 > $2)) || { echo "0 0"; return; }
  grep 'sync(' "$work/$1.fsync" | sed -n "$(($2 + 1)),$3p" | awk '
    { n++; if ($0 ~ /-wal>/) w++; if (match($0, /<[0-9.]+>$/)) t += substr($0, RSTART + 1, RLENGTH - 2) }
    END { printf "%.2f %.2f\n", n ? t / n * 1e3 : 0, n ? w / n : 0 }'
}
# ingest_run NAME PID URL NGINX_RPS: one wrk run of single-record ingest, a line appended to
# $work/NAME.runs.
ingest_run() {
  local name=$1 p=$2 u=$3 load g0 n0 g1 n1 f0 f1 c0 c1 t0 t1 r
  load=$(cut -d' ' -f1 /proc/loadavg)
  read -r g0 n0 < <(groups "$u")
  f0=$(fsyncs "$name") c0=$(cpu_ticks "$p") t0=$(date +%s.%N)
  r=$(wrk_once -t2 -c32 -d"${duration}s" --latency -s bench/load/record_scored.lua "$u/")
  t1=$(date +%s.%N) c1=$(cpu_ticks "$p") f1=$(fsyncs "$name")
  read -r g1 n1 < <(groups "$u")
  echo "$r $load $t0 $t1 $((c1 - c0)) $((g1 - g0)) $((n1 - n0)) $((f1 - f0)) $(fsync_stats "$name" "$f0" "$f1") $4" >>"$work/$name.runs"
}

start_traced now "$binary"
now_pid=$pid now_url=$url
if [[ -n $before ]]; then
  start_traced before "$before"
  before_pid=$pid before_url=$url
fi

fn=$(mktemp "$work/runs.XXXXXX")
: >"$work/now.runs"
[[ -z $before ]] || : >"$work/before.runs"
nginx_start
for _ in $(seq "$runs"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  r=$(wrk_once -t2 -c32 -d"${duration}s" --latency "$nginx_url")
  echo "$r $load" >>"$fn"
  read -r nrps _ <<<"$r"
  ingest_run now "$now_pid" "$now_url" "$nrps"
  [[ -z $before ]] || ingest_run before "$before_pid" "$before_url" "$nrps"
done
nginx_stop

# Medians of each column over the runs: a row for nginx, one per server.
summary() {
  awk -v tck="$(getconf CLK_TCK)" -v fn="$fn" '
    function med(x, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (x[j] + 0 < x[i] + 0) { t = x[i]; x[i] = x[j]; x[j] = t }
                                   return x[int((n + 1) / 2)] }
    function row(label) {
      printf "| %-44s | %9.0f | %7.2f | %6.3f | %12.4f | %9.0f | %10.1f | %9.0f | %7.2f | %8s |\n", label, med(ir, m), med(ip, m), med(rat, m), med(cpu, m), med(cps, m), med(gs, m), med(fps, m), med(fms, m), med(il, m)
    }
    FNR == 1 && FILENAME != fn { if (m > 0) row(label); m = 0; label = FILENAME; sub(/.*\//, "", label); label = "POST /agent/performance, " label }
    FILENAME == fn { n++; nr[n] = $1; np[n] = $3; nl[n] = $6; next }
    { m++; d = $8 - $7; ir[m] = $1; ip[m] = $3; il[m] = $6; non += $4
      cpu[m] = $9 / tck * 1e3 / ($5 > 0 ? $5 : 1); cps[m] = $10 / d; gs[m] = ($10 > 0 ? $11 / $10 : 0); fps[m] = $12 / d
      fms[m] = $13; rat[m] = $1 / $15 }
    BEGIN {
      printf "\n| %-44s | %9s | %7s | %6s | %12s | %9s | %10s | %9s | %7s | %8s |\n", "what, wrk -t2 -c32", "req/s", "p99 ms", "ratio", "CPU ms/record", "commits/s", "mean group", "fsyncs/s", "fsync ms", "load avg"
      printf "| %-44s | %9s | %7s | %6s | %12s | %9s | %10s | %9s | %7s | %8s |\n", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"
    }
    END {
      if (m > 0) row(label)
      printf "| %-44s | %9.0f | %7.2f | %6s | %12s | %9s | %10s | %9s | %7s | %8s |\n", "nginx return 200 (ceiling)", med(nr, n), med(np, n), "1", "-", "-", "-", "-", "-", med(nl, n)
      printf "\nratio: each ingest run over the nginx run just before it (median of the pairs); fsync ms: mean time of one fsync or fdatasync (median of the runs); non-2xx answers to ingest: %d\n", non
    }' "$fn" "$@"
}
files=("$work/now.runs")
[[ -z $before ]] || files+=("$work/before.runs")
summary "${files[@]}" | sed "s|, now.runs   |, this build|; s|, before.runs|, before     |"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
