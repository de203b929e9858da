#!/usr/bin/env bash
# Every shared library the built binary needs (ldd) comes from a Debian package that
# deploy/Dockerfile's run stage installs: each library is mapped to its package with dpkg -S.
# A library the binary links directly (readelf NEEDED) must come from a package named in the
# run stage's apt-get list; one it needs through another library, from that list or from what
# apt installs with it (the Depends/Pre-Depends closure, apt-cache depends --recurse). Every
# lib* package of the list must provide one of the libraries (no dead weight).
# Usage: runtime_libraries.sh BINARY
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="${1:?usage: runtime_libraries.sh BINARY}"
[[ -x "$binary" ]] || { echo "FAIL: no binary at $binary"; exit 1; }
mapfile -t installed < <("$here/run_stage_packages.sh")
((${#installed[@]} > 0)) || { echo "FAIL: the run stage installs no packages"; exit 1; }
if ldd "$binary" | grep -q "not found"; then
  echo "FAIL: ldd cannot resolve every library:"; ldd "$binary"; exit 1
fi
# "libfoo.so.1 => /lib/x86_64-linux-gnu/libfoo.so.1 (0x...)" and the loader's own line.
mapfile -t libs < <(ldd "$binary" | awk '/=>/ { if ($3 ~ /^\//) print $3; next } $1 ~ /^\// { print $1 }')
((${#libs[@]} > 3)) || { echo "FAIL: ldd listed too few libraries: ${libs[*]}"; exit 1; }
mapfile -t closure < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances "${installed[@]}" 2>/dev/null | grep -v '^ ' | sed 's/:.*//' | sort -u)
((${#closure[@]} >= ${#installed[@]})) || { echo "FAIL: apt-cache depends failed"; exit 1; }
mapfile -t needed < <(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
((${#needed[@]} > 3)) || { echo "FAIL: readelf found too few NEEDED entries"; exit 1; }
missing=0
# Membership tests read their whole input (grep -x >/dev/null, not grep -q): grep -q stops at
# the first match, printf then dies of SIGPIPE, and pipefail turns a match into a failure.
declare -A seen=()
for lib in "${libs[@]}"; do
  pkg=""
  # dpkg knows a file by the path its package ships (/lib or /usr/lib: merged /usr).
  real=$(readlink -f "$lib")
  for candidate in "$lib" "$real" "/usr$lib" "/usr$real" "${lib#/usr}" "${real#/usr}"; do
    if out=$(dpkg -S "$candidate" 2>/dev/null); then
      pkg=$(head -n1 <<<"$out" | cut -d: -f1)
      break
    fi
  done
  if [[ -z "$pkg" ]]; then
    echo "FAIL: no Debian package ships $lib"; missing=1; continue
  fi
  seen[$pkg]=1
  if printf '%s\n' "${needed[@]}" | grep -x "$(basename "$lib")" >/dev/null; then
    if ! printf '%s\n' "${installed[@]}" | grep -x "$pkg" >/dev/null; then
      echo "FAIL: the binary links $lib from $pkg, which the run stage does not name"; missing=1
    fi
  elif ! printf '%s\n' "${closure[@]}" | grep -x "$pkg" >/dev/null; then
    echo "FAIL: $lib comes from $pkg, which the run stage neither names nor gets with what it names"; missing=1
  fi
done
for p in "${installed[@]}"; do
  if [[ "$p" == lib* && -z "${seen[$p]:-}" ]]; then
    echo "FAIL: the run stage installs $p, which provides none of the binary's libraries"; missing=1
  fi
done
((missing == 0)) || exit 1
echo "runtime libraries: ${#libs[@]} libraries from ${#seen[@]} packages, all in the run stage: ${!seen[*]}"
echo "PASS"
