#!/usr/bin/env bash
# Prints the packages deploy/Dockerfile's run stage (its last FROM) installs with apt-get, one
# a line. Sourced knowledge for the deploy tests; usage: run_stage_packages.sh [DOCKERFILE]
set -euo pipefail
dockerfile="${1:-$(dirname "$0")/../../deploy/Dockerfile}"
python3 - "$dockerfile" <<'PY'
import re, sys
text = open(sys.argv[1]).read().replace("\\\n", " ")
stages = re.split(r"(?im)^FROM\s", text)
run = stages[-1]
pkgs = []
for m in re.finditer(r"apt-get install ([^&;\n]*)", run):
    for word in m.group(1).split():
        if not word.startswith("-"):
            pkgs.append(word)
print("\n".join(pkgs))
PY
