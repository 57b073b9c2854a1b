#!/usr/bin/env bash
# ci/check-format.sh — every tracked .c and .h file must be formatted as the
# committed .clang-format says. Prints each file that is not (fix with
# `clang-format -i FILE`); exits 1 if there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
cf=${CLANG_FORMAT:-clang-format}
# A missing tool or a broken .clang-format is its own failure, not every
# file "unformatted".
if ! "$cf" --style=file --dump-config >/dev/null; then
  echo "check-format: cannot run $cf with the committed .clang-format" >&2
  exit 1
fi
# One run over all files; with --Werror each would-be change is reported
# as "FILE:LINE:COL: error: ..." and the exit status is non-zero.
report=$(git ls-files -z '*.c' '*.h' |
  xargs -0 "$cf" --style=file --dry-run --Werror 2>&1 >/dev/null) && rc=0 || rc=$?
bad=$(printf '%s\n' "$report" | sed -n 's/^\(.*\):[0-9][0-9]*:[0-9][0-9]*: error: .*/\1/p' | sort -u)
if [ -n "$bad" ]; then
  while IFS= read -r f; do
    echo "not formatted: $f" >&2
  done <<<"$bad"
  echo "check-format: FAILED (run clang-format -i on the files above)" >&2
  exit 1
fi
if [ "$rc" -ne 0 ]; then
  # Failed without naming a file: show what it said.
  printf '%s\n' "$report" >&2
  echo "check-format: FAILED ($cf exit status $rc)" >&2
  exit 1
fi
echo "check-format: every tracked .c/.h file is formatted ($("$cf" --version))"
