#!/usr/bin/env bash
# CTest prometheus_alert_rules: the Prometheus files in deploy/ as promtool (Debian's
# prometheus package) reads them. The config is checked for syntax only: its credentials
# file exists only inside the compose deployment.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v promtool >/dev/null || { echo "promtool not found: install the prometheus package (scripts/bootstrap)" >&2; exit 1; }
promtool check config --syntax-only deploy/prometheus.yml
promtool check rules deploy/alerts.yml
promtool test rules tests/prometheus/alerts_test.yml
