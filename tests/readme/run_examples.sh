#!/usr/bin/env bash
# Runs the README's runnable examples as a new user would, against a fresh demo server:
# every fenced block right after a `<!-- runnable -->` line, in order, in a checkout-like
# directory (build/agentlearn, deploy/, ../shared/data) whose server was started with
# `agentlearn serve --demo` (what scripts/run serves) on a free loopback port.
#   - http://127.0.0.1:8080 in a block is the port the test's server listens on, and
#     AGENTLEARN_URL points the client commands at it;
#   - curl fails on an HTTP error (--fail-with-body), and every command must succeed;
#   - the JSON member names of the output the README shows (its `# {...}` comment lines) must
#     appear in what the block really printed, and so must the values the demo makes
#     deterministic (ids, counts, agent names, the backend) exactly as the README shows them.
# Usage: run_examples.sh BINARY [README]
set -euo pipefail
binary="$(readlink -f "${1:?usage: run_examples.sh BINARY [README]}")"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
readme="$(readlink -f "${2:-$repo/README.md}")"
shared="$(readlink -f "$repo/../shared")"
[[ -d "$shared/data" ]] || { echo "FAIL: no shared data at $repo/../shared/data"; exit 1; }

tmp=$(mktemp -d /tmp/agentlearn-readme.XXXXXX)
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
work="$tmp/checkout"
mkdir -p "$work/build"
ln -s "$binary" "$work/build/agentlearn"
ln -s "$repo/deploy" "$work/deploy"
ln -s "$repo/docs" "$work/docs"
ln -s "$shared" "$tmp/shared"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cd "$work"
build/agentlearn serve --demo --port "$port" >"$tmp/server.log" 2>&1 &
server_pid=$!
# Wait for the event (the port answers /health/ready with 200), bounded only against a hang.
for _ in $(seq 1 3000); do
  if curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then break; fi
  kill -0 "$server_pid" 2>/dev/null || { echo "FAIL: the demo server exited"; cat "$tmp/server.log"; exit 1; }
  sleep 0.1
done
curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null || { echo "FAIL: the demo server never got ready"; cat "$tmp/server.log"; exit 1; }
export AGENTLEARN_URL="http://127.0.0.1:$port"

python3 - "$readme" "$tmp/blocks" <<'PY'
import os, re, sys
text = open(sys.argv[1]).read().split("\n")
out = sys.argv[2]
os.makedirs(out)
n = 0
i = 0
while i < len(text):
    if text[i].strip() == "<!-- runnable -->":
        j = i + 1
        while j < len(text) and not text[j].startswith("```"):
            j += 1
        k = j + 1
        while k < len(text) and not text[k].startswith("```"):
            k += 1
        n += 1
        with open(os.path.join(out, "%02d.sh" % n), "w") as f:
            f.write("# README.md line %d\n" % (j + 2))
            f.write("\n".join(text[j + 1:k]) + "\n")
        i = k
    i += 1
print("README: %d runnable blocks" % n)
PY
blocks=("$tmp"/blocks/*.sh)
((${#blocks[@]} >= 5)) || { echo "FAIL: too few runnable blocks (${#blocks[@]})"; exit 1; }

failed=0
for block in "${blocks[@]}"; do
  where=$(head -n1 "$block")
  sed -i "s#http://127.0.0.1:8080#http://127.0.0.1:$port#g" "$block"
  {
    echo 'set -euo pipefail'
    echo 'curl() { command curl --fail-with-body "$@"; }'
    cat "$block"
  } >"$block.run"
  echo "=== $where"
  if ! bash "$block.run" >"$block.out" 2>"$block.err"; then
    echo "FAIL: the block at $where failed:"; sed 's/^/  | /' "$block"; echo "  stdout:"; sed 's/^/  > /' "$block.out"
    echo "  stderr:"; sed 's/^/  ! /' "$block.err"; failed=1; continue
  fi
  head -c 600 "$block.out"; echo
  # The member names the README shows as output must be in the real output.
  # Output lines are comments that begin with JSON ({, [ or ") or continue one (2+ spaces).
  for key in $(grep -E '^\s*# ?[{["]|^\s*#\s{2,}' "$block" | grep -oE '"[a-z_]+":' | tr -d '":' | sort -u); do
    if ! grep -q "\"$key\"" "$block.out"; then
      echo "FAIL: the README shows \"$key\" after the block at $where, but the output has none"; failed=1
    fi
  done
  # The deterministic values, each as the README writes it ("id":6001, "agent_id":"coder-claude-7").
  if ! python3 - "$block" "$block.out" "$where" <<'PY'
import re, sys
shown = "\n".join(l.split("#", 1)[1] for l in open(sys.argv[1]).read().split("\n")
                  if re.match(r'^\s*# ?[{\["]|^\s*#\s{2,}', l))
out = open(sys.argv[2]).read()
pairs = re.findall(r'"(?:id|recorded|duplicates|executions|successes|total_executions)":\d+', shown)
# Not "status" (/health says "degraded" while a write probe is late), nor "primary_agent"
# (the rules answer until the demo's first training finishes on a busy machine).
pairs += re.findall(r'"(?:agent_id|backend)":"[^"]*"', shown)
pairs += re.findall(r'"ids":\[[\d,]+\]', shown)
missing = [p for p in pairs if p not in out]
for p in missing:
    print('FAIL: the README shows %s after the block at %s, but the output has not' % (p, sys.argv[3]))
sys.exit(1 if missing else 0)
PY
  then
    failed=1
  fi
done
if ((failed)); then echo "--- server log"; tail -n 30 "$tmp/server.log"; exit 1; fi
echo "PASS: ${#blocks[@]} README blocks ran against a demo server"
