# Helpers shared by the load bench scripts (learning.sh, similar.sh); sourced, not run.
# They use the caller's globals: work (the temp dir), runs (wrk runs per figure), pid/url (the
# server under test), pids (every process to stop at the end).

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }
post() { curl -sf -X POST -H 'Content-Type: application/json' -d "$2" "$1"; }

# One wrk run: prints "requests_per_second p50_ms p99_ms non2xx requests".
wrk_once() {
  local out
  out=$(wrk "$@")
  awk '
    function ms(v) { if (v ~ /us$/) { sub(/us/, "", v); return v / 1000 } if (v ~ /ms$/) { sub(/ms/, "", v); return v + 0 }
                     if (v ~ /s$/) { sub(/s/, "", v); return v * 1000 } return v }
    /^Requests\/sec/ { rps = $2 } $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /^non-2xx responses:/ { non = $3 } / requests in / { n = $1 }
    END { printf "%s %s %s %s %s\n", rps, (p50 == "" ? "nan" : p50), (p99 == "" ? "nan" : p99), (non == "" ? 0 : non), n }' <<<"$out"
}
# sample FILE PID WRK_ARGS...: one wrk run, appended to FILE as "rps p50 p99 non2xx requests
# cpu_ticks" (the CPU time PID used meanwhile; 0 without a PID).
sample() {
  local file=$1 p=$2; shift 2
  local c0=0 c1=0
  [[ -n $p ]] && c0=$(cpu_ticks "$p")
  local r; r=$(wrk_once "$@")
  [[ -n $p ]] && c1=$(cpu_ticks "$p")
  echo "$r $((c1 - c0))" >>"$file"
}
# CPU time (utime + stime, clock ticks) of a process: the server's CPU per request is a figure
# the other work on a shared machine disturbs less than requests/s.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
row() { printf '| %-62s | %9s | %7s | %7s | %6s | %11s |\n' "$@"; }
# summarize LABEL FILE: one table row of the medians of FILE's runs (requests/s, p50 and p99
# each the median of its own column), non-2xx summed, server CPU per request over all runs.
summarize() {
  local rps p50 p99 non per
  read -r rps p50 p99 non per < <(awk -v tck="$(getconf CLK_TCK)" '
    { n++; r[n] = $1; a[n] = $2; b[n] = $3; non += $4; total += $5; cpu += $6 }
    function med(x,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (x[j] + 0 < x[i] + 0) { t = x[i]; x[i] = x[j]; x[j] = t }
                                 return x[int((n + 1) / 2)] }
    END { printf "%s %s %s %d %s\n", med(r), med(a), med(b), non, cpu ? sprintf("%.0f", cpu / tck * 1e6 / total) : "-" }' "$2")
  row "$1" "$rps" "$p50" "$p99" "$non" "$per"
  last_rps=$rps last_p99=$p99
}
measure() {  # measure LABEL WRK_ARGS...: $runs runs against the server $pid (if set), one row
  local label=$1 f; shift
  f=$(mktemp "$work/runs.XXXXXX")
  for _ in $(seq "$runs"); do sample "$f" "${pid:-}" "$@"; done
  summarize "$label" "$f"
}

# start_server NAME CONFIG: serves $work/NAME.db with CONFIG on a free port; sets port, pid, url.
start_server() {
  port=$(free_port)
  build/agentlearn serve --db "sqlite:$work/$1.db" --port "$port" --config "$2" >"$work/$1.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  url="http://127.0.0.1:$port"
  wait_http "$url/health"
}
stop_server() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }
hwm() { awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$1/status"; }

# The nginx `return 200` ceiling: nginx_start, then measure against $nginx_url; nginx_stop.
nginx_start() {
  mkdir -p "$work/nginx"
  nport=$(free_port)
  sed "s|PREFIX|$work/nginx|g; s|PORT|$nport|" bench/load/nginx.conf > "$work/nginx/nginx.conf"
  nginx -c "$work/nginx/nginx.conf" -p "$work/nginx"
  nginx_url="http://127.0.0.1:$nport/"
  wait_http "$nginx_url"
}
nginx_stop() { kill "$(cat "$work/nginx/nginx.pid")"; rm -f "$work/nginx/nginx.pid"; }
# The table's header, then its first rows: the ceiling at -t2 -c32 (sets nginx_rps) and -t2 -c8.
ceiling_table() {
  echo
  row "what" "req/s" "p50 ms" "p99 ms" "non2xx" "server CPU us/req"
  row "---" "---:" "---:" "---:" "---:" "---:"
  nginx_start
  measure "nginx return 200 (ceiling), -t2 -c32" -t2 -c32 -d"${duration}s" --latency "$nginx_url"
  nginx_rps=$last_rps
  measure "nginx return 200 (ceiling), -t2 -c8" -t2 -c8 -d"${duration}s" --latency "$nginx_url"
  nginx_stop
}
# alternate SCRIPT LABEL_A PID_A URL_A LABEL_B PID_B URL_B: wrk -t2 -c32, then -c8, with the
# POST script SCRIPT against two servers, their runs alternating so the machine's other work
# falls on both; a row per server and concurrency; ratios gets "-cN A/B" of median requests/s.
alternate() {
  local script=$1 la=$2 pa=$3 ua=$4 lb=$5 pb=$6 ub=$7 c fa fb a_rps
  ratios=()
  for c in 32 8; do
    fa=$(mktemp "$work/runs.XXXXXX") fb=$(mktemp "$work/runs.XXXXXX")
    for _ in $(seq "$runs"); do
      sample "$fa" "$pa" -t2 -c$c -d"${duration}s" --latency -s "$script" "$ua/"
      sample "$fb" "$pb" -t2 -c$c -d"${duration}s" --latency -s "$script" "$ub/"
    done
    summarize "$la, -t2 -c$c" "$fa"
    a_rps=$last_rps
    summarize "$lb, -t2 -c$c" "$fb"
    ratios+=("-c$c $(awk -v a="$a_rps" -v b="$last_rps" 'BEGIN {printf "%.3f", a / b}')")
  done
}
# Stops every server in pids and nginx, removes $work: the scripts' EXIT trap.
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -f "$work/nginx/nginx.pid" ]] && kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
