#!/usr/bin/env bash
# Every shared library the built binary needs (ldd) comes from a Debian package that
# deploy/Dockerfile's run stage installs: each library is mapped to its package with dpkg -S
# and looked up in the run stage's apt-get list. Usage: runtime_libraries.sh BINARY
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
missing=0
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
  if ! printf '%s\n' "${installed[@]}" | grep -qx "$pkg"; then
    echo "FAIL: $lib comes from $pkg, which the run stage does not install"; missing=1
  fi
done
((missing == 0)) || exit 1
echo "runtime libraries: ${#libs[@]} libraries from ${#seen[@]} packages, all in the run stage: ${!seen[*]}"
echo "PASS"
