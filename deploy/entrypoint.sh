#!/bin/sh
# The image's entrypoint. `serve` (the default command) listens on every interface, so it
# must not start open: it refuses unless API tokens are configured, from
#   AGENTLEARN_TOKENS="TOKEN:ROLE,TOKEN:ROLE", or
#   a secret file of TOKEN:ROLE entries (one a line, or comma-separated; # starts a comment):
#   $AGENTLEARN_TOKENS_FILE, default /run/secrets/agentlearn_tokens.
# Other commands (backup, import, status, bridge, ...) run as given.
set -eu

tokens_file="${AGENTLEARN_TOKENS_FILE:-/run/secrets/agentlearn_tokens}"

if [ "${1:-serve}" = "serve" ]; then
  if [ -r "$tokens_file" ]; then
    from_file=$(sed -e 's/#.*//' "$tokens_file" | tr ',\n' '  ' | xargs | tr ' ' ',')
    if [ -n "$from_file" ]; then
      AGENTLEARN_TOKENS="${AGENTLEARN_TOKENS:+$AGENTLEARN_TOKENS,}$from_file"
      export AGENTLEARN_TOKENS
    fi
  fi
  if [ -z "${AGENTLEARN_TOKENS:-}" ]; then
    echo "agentlearn-entrypoint: refusing to start: no API tokens configured." >&2
    echo "  Set AGENTLEARN_TOKENS=\"TOKEN:ROLE,...\" (roles: ingest, read, admin) or mount a file" >&2
    echo "  of TOKEN:ROLE lines at $tokens_file (or name it in AGENTLEARN_TOKENS_FILE)." >&2
    exit 78
  fi
fi
exec "${AGENTLEARN_BIN:-/usr/local/bin/agentlearn}" "$@"
