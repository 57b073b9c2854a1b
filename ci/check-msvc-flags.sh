#!/usr/bin/env bash
# ci/check-msvc-flags.sh — MSVC-only compiler flags (/W4, /WX, /wdNNNN, …)
# must sit inside if(MSVC) blocks of the CMake files, so that gcc and mingw
# never see them and MSVC always does. Prints each offending line; exits 1
# if there is one. (The MSVC build itself runs in ci/windows.ps1.)
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
while IFS= read -r -d '' f; do
  awk -v file="$f" '
    { line = $0; sub(/#.*/, "", line) }
    line ~ /^[ \t]*if[ \t]*\([ \t]*MSVC[ \t]*\)/ { depth_msvc[++depth] = 1; next }
    line ~ /^[ \t]*if[ \t]*\(/                   { depth_msvc[++depth] = 0; next }
    line ~ /^[ \t]*else(if)?[ \t]*\(/ {
      # after if(MSVC), an else branch is not MSVC any more
      if (depth > 0 && depth_msvc[depth] == 1) depth_msvc[depth] = 0
      next
    }
    line ~ /^[ \t]*endif[ \t]*\(/ { if (depth > 0) depth--; next }
    line ~ /(^|[ \t"])\/(W[0-4X]|wd[0-9]+|we[0-9]+|std:|permissive|utf-8)/ {
      inside = 0
      for (i = 1; i <= depth; i++) if (depth_msvc[i] == 1) inside = 1
      if (!inside) { printf "%s:%d: MSVC flag outside if(MSVC): %s\n", file, NR, $0; bad = 1 }
    }
    END { exit bad }
  ' "$f" || bad=1
done < <(git ls-files -z 'CMakeLists.txt' '*/CMakeLists.txt' '*.cmake')
if [ "$bad" -ne 0 ]; then
  echo "check-msvc-flags: FAILED" >&2
  exit 1
fi
echo "check-msvc-flags: MSVC-only flags appear only under if(MSVC)"
