# Sourced by the bench/*/sklearn_compare.sh scripts: from the repository root, builds
# agentlearn, makes sure Debian's python3-sklearn is there (for the comparison only; the
# service never needs it), and sets $work to a temporary folder removed on exit.
scripts/build build -- agentlearn >/dev/null
if ! /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-sklearn >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
