#!/usr/bin/env bash
# deploy/docker-compose.yml: Debian's docker-compose validates it (no Docker engine needed for
# `config`), then the resolved configuration is checked for what the deployment promises: the
# four services, their start order and health checks, the Prometheus token as a secret file,
# one named network, secrets from an uncommitted .env.
set -euo pipefail
cd "$(dirname "$0")/../.."
compose=(docker-compose -f deploy/docker-compose.yml --env-file deploy/.env.example)
"${compose[@]}" config -q
# A missing secret variable is an error naming it, not an empty password.
empty_env=$(mktemp)
trap 'rm -f "$empty_env"' EXIT
if out=$(env -i PATH="$PATH" docker-compose -f deploy/docker-compose.yml --env-file "$empty_env" config -q 2>&1); then
  echo "FAIL: config accepted an empty environment"; exit 1
fi
grep -q "POSTGRES_PASSWORD" <<<"$out" || { echo "FAIL: the error does not name POSTGRES_PASSWORD: $out"; exit 1; }
git check-ignore -q deploy/.env || { echo "FAIL: deploy/.env is not ignored by git"; exit 1; }
git check-ignore -q deploy/secrets/prometheus_token || { echo "FAIL: deploy/secrets/ is not ignored"; exit 1; }
[[ -z "$(git ls-files deploy/.env deploy/secrets)" ]] || { echo "FAIL: a secret file is committed"; exit 1; }
"${compose[@]}" config | python3 -c '
import sys, yaml
c = yaml.safe_load(sys.stdin)
s = c["services"]
fail = []
def mounts(svc):
    # Volumes as docker-compose 1.29 prints them ("source:target:mode") or as mappings.
    out = []
    for v in svc.get("volumes", []):
        if isinstance(v, dict):
            out.append((v.get("source", ""), v["target"]))
        else:
            parts = v.split(":")
            out.append((parts[0], parts[1]))
    return out
def check(cond, what):
    if not cond: fail.append(what)
check(sorted(s) == ["learning-system", "postgres", "prometheus"], "the three services: %s" % sorted(s))
pg, ls, pr = s["postgres"], s["learning-system"], s["prometheus"]
check(pg["image"].startswith("pgvector/pgvector:pg15"), "postgres runs pgvector on PostgreSQL 15")
check(("postgres-data", "/var/lib/postgresql/data") in mounts(pg) and "postgres-data" in c["volumes"], "postgres keeps a named volume")
check("pg_isready" in " ".join(pg["healthcheck"]["test"]), "postgres health check is pg_isready")
check(ls["depends_on"] == {"postgres": {"condition": "service_healthy"}}, "learning-system waits for postgres healthy")
hc = ls["healthcheck"]
check(hc["test"] == ["CMD", "curl", "-f", "http://localhost:8080/health"], "learning-system health check curl -f /health")
check((hc["interval"], hc["timeout"], hc["retries"], hc["start_period"]) in {("30s", "10s", 5, "60s"), ("30s", "10s", 5, "1m")}, "learning-system check timings %s" % hc)
check(ls["build"]["dockerfile"] == "deploy/Dockerfile", "learning-system builds deploy/Dockerfile")
check(ls["environment"]["POSTGRES_HOST"] == "postgres", "learning-system stores in the postgres service")
check(pr["depends_on"] == {"learning-system": {"condition": "service_healthy"}}, "prometheus waits for learning-system healthy")
check("/-/healthy" in " ".join(pr["healthcheck"]["test"]), "prometheus health check /-/healthy")
targets = {t for _, t in mounts(pr)}
check({"/etc/prometheus/prometheus.yml", "/etc/prometheus/alerts.yml"} <= targets, "prometheus mounts its config and alert rules")
check([x["source"] for x in pr["secrets"]] == ["prometheus_token"], "prometheus gets the prometheus_token secret")
check(c["secrets"]["prometheus_token"]["file"].endswith("deploy/secrets/prometheus_token"), "the token comes from a file")
check(list(c["networks"]) == ["agentlearn"], "one named network")
for name, svc in s.items():
    check(list(svc["networks"]) == ["agentlearn"], name + " is on the agentlearn network")
if fail:
    print("FAIL:\n  " + "\n  ".join(fail)); sys.exit(1)
print("compose: 3 services, start order and health checks as promised")
'
# prometheus.yml (the metrics work) reads the token from the secret's mount point.
if [[ -f deploy/prometheus.yml ]]; then
  grep -q "credentials_file: /run/secrets/prometheus_token" deploy/prometheus.yml \
    || { echo "FAIL: deploy/prometheus.yml does not read /run/secrets/prometheus_token"; exit 1; }
fi
# deploy/check: a missing secret file fails naming it; a command the binary lacks fails naming
# it; with both in place it passes.
binary="${1:?usage: compose_config.sh AGENTLEARN_BINARY}"
work=$(mktemp -d)
trap 'rm -rf "$work" "$empty_env"' EXIT
cp deploy/.env.example "$work/env"
if out=$(PROMETHEUS_TOKEN_FILE="$work/absent" deploy/check --env-file "$work/env" --binary "$binary"); then
  echo "FAIL: deploy/check passed without the prometheus_token file: $out"; exit 1
fi
grep -q "secret prometheus_token: $work/absent is missing" <<<"$out" || { echo "FAIL: deploy/check did not name the secret: $out"; exit 1; }
printf 'read-token' >"$work/token"
cat >"$work/extra.yml" <<'YAML'
services:
  agent-bridge:
    image: ${AGENTLEARN_IMAGE:-agentlearn:latest}
    command: ["bridge", "--url", "http://learning-system:8080"]
YAML
if out=$(PROMETHEUS_TOKEN_FILE="$work/token" deploy/check --env-file "$work/env" --binary "$binary" -f "$work/extra.yml"); then
  echo "FAIL: deploy/check passed a service running a command the binary lacks: $out"; exit 1
fi
grep -q "service agent-bridge runs \`agentlearn bridge\`, which is not a command" <<<"$out" || { echo "FAIL: deploy/check did not name the command: $out"; exit 1; }
PROMETHEUS_TOKEN_FILE="$work/token" deploy/check --env-file "$work/env" --binary "$binary" \
  || { echo "FAIL: deploy/check refused a complete stack"; exit 1; }
# deploy/make-secrets writes the read token of the .env into the secret file.
cp -r deploy "$work/deploy-copy"
"$work/deploy-copy/make-secrets" "$work/env" >/dev/null
[[ "$(cat "$work/deploy-copy/secrets/prometheus_token")" == "change-me-read-token" ]] \
  || { echo "FAIL: make-secrets did not write the read token"; exit 1; }
echo "PASS"
