#!/usr/bin/env bash
# deploy/Dockerfile without a Docker engine: two stages on Debian 12; the build stage installs
# the build dependencies through scripts/bootstrap (node and npm among them) and builds; the
# run stage installs no compiler nor -dev package, runs as a non-root USER, has a HEALTHCHECK
# on /health and the entrypoint; the entrypoint refuses to serve without tokens.
set -euo pipefail
cd "$(dirname "$0")/../.."
df=deploy/Dockerfile
fail() { echo "FAIL: $*"; exit 1; }
mapfile -t froms < <(grep -iE '^FROM ' "$df")
((${#froms[@]} == 2)) || fail "expected 2 stages, found ${#froms[@]}"
grep -qiE '^FROM debian:(12|bookworm)(-slim)?(@sha256:[0-9a-f]+)? AS build' <<<"${froms[0]}" || fail "build stage is not Debian 12: ${froms[0]}"
grep -qiE '^FROM debian:(12-slim|bookworm-slim)(@sha256:[0-9a-f]+)?( AS [a-z]+)?$' <<<"${froms[1]}" || fail "run stage is not debian 12 slim: ${froms[1]}"
build_stage=$(awk 'BEGIN{IGNORECASE=1} /^FROM /{n++} n==1' "$df")
run_stage=$(awk 'BEGIN{IGNORECASE=1} /^FROM /{n++} n==2' "$df")
grep -q 'scripts/bootstrap' <<<"$build_stage" || fail "the build stage does not run scripts/bootstrap"
grep -q 'scripts/build' <<<"$build_stage" || fail "the build stage does not build"
grep -qE '\bnodejs\b' scripts/bootstrap && grep -qE '\bnpm\b' scripts/bootstrap || fail "bootstrap does not install node and npm"
grep -qE '\bbuild-essential\b' scripts/bootstrap || fail "bootstrap does not install the compiler"
mapfile -t pkgs < <(tests/deploy/run_stage_packages.sh "$df")
for p in "${pkgs[@]}"; do
  case "$p" in
    gcc*|g++*|cpp*|clang*|build-essential|cmake|ninja-build|make|ccache|nodejs|npm|*-dev) fail "the run stage installs $p";;
  esac
done
grep -q -- '--from=build' <<<"$run_stage" || fail "the run stage does not take the binary from the build stage"
user=$(grep -E '^USER ' <<<"$run_stage" | tail -n1 | awk '{print $2}')
[[ -n "$user" && "$user" != root && "$user" != 0 && "$user" != 0:0 ]] || fail "the run stage has no non-root USER"
grep -qE '^HEALTHCHECK .*' <<<"$run_stage" || fail "no HEALTHCHECK"
grep -A2 -E '^HEALTHCHECK' <<<"$run_stage" | grep 'http://localhost:8080/health' >/dev/null || fail "HEALTHCHECK does not probe /health"
grep -qE '^ENTRYPOINT \["/usr/local/bin/agentlearn-entrypoint"\]' <<<"$run_stage" || fail "no entrypoint"
grep -q 'COPY deploy/entrypoint.sh' <<<"$run_stage" || fail "the entrypoint is not copied"
[[ -f .dockerignore ]] && grep -qx 'deploy/.env' .dockerignore && grep -qE '^build' .dockerignore \
  || fail ".dockerignore must keep build trees and deploy/.env out of the context"

# The entrypoint, run as the image runs it, with a stand-in for the binary that shows what
# it was given.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/agentlearn" <<'SH'
#!/bin/sh
echo "args: $*"
echo "tokens: ${AGENTLEARN_TOKENS:-}"
SH
chmod +x "$tmp/agentlearn"
run_entry() { env -i PATH="$PATH" AGENTLEARN_BIN="$tmp/agentlearn" AGENTLEARN_TOKENS_FILE="$tmp/none" "$@"; }
if out=$(run_entry deploy/entrypoint.sh serve 2>&1); then fail "the entrypoint served without tokens: $out"; fi
grep -q "refusing to start: no API tokens" <<<"$out" || fail "unclear refusal: $out"
grep -q "args:" <<<"$out" && fail "the binary ran without tokens"
out=$(run_entry AGENTLEARN_TOKENS=t1:admin deploy/entrypoint.sh serve --port 8080)
grep -qx "args: serve --port 8080" <<<"$out" || fail "arguments not passed on: $out"
grep -qx "tokens: t1:admin" <<<"$out" || fail "AGENTLEARN_TOKENS not kept: $out"
printf '# tokens for agentlearn\nr1:read\n\ni1:ingest, a1:admin\n' >"$tmp/tokens"
out=$(env -i PATH="$PATH" AGENTLEARN_BIN="$tmp/agentlearn" AGENTLEARN_TOKENS_FILE="$tmp/tokens" deploy/entrypoint.sh serve)
grep -qx "tokens: r1:read,i1:ingest,a1:admin" <<<"$out" || fail "the token file was not read: $out"
printf '# only a comment\n' >"$tmp/empty"
if out=$(env -i PATH="$PATH" AGENTLEARN_BIN="$tmp/agentlearn" AGENTLEARN_TOKENS_FILE="$tmp/empty" deploy/entrypoint.sh serve 2>&1); then
  fail "served with an empty token file: $out"
fi
out=$(run_entry deploy/entrypoint.sh backup /tmp/x.db)
grep -qx "args: backup /tmp/x.db" <<<"$out" || fail "other commands must run without tokens: $out"
echo "PASS"
