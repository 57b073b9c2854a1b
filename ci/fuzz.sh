#!/usr/bin/env bash
# ci/fuzz.sh — build the libFuzzer targets of tests/fuzz (preset
# linux-fuzz: clang, ASan, UBSan) and run each for a bounded time, one at
# a time, starting from a scratch copy of its committed corpus and
# regressions (nothing is ever written into tests/fuzz). Exits non-zero if
# a target crashes, leaks, times out or breaks an invariant.
#
#   ci/fuzz.sh [TARGET...]     request frame reply dispatch journal (default: all)
#   WORKQ_FUZZ_SECONDS=N       seconds per target (default 60)
#
# Per target, under build/fuzz/: <target>.log (libFuzzer's output; only
# its tail is printed, on failure), <target>/corpus (the scratch corpus,
# grown by the run) and <target>/crash-* (the input that failed, to be
# committed under tests/fuzz/regressions/<target>/ with its fix).
set -euo pipefail

cd "$(dirname "$0")/.."
seconds=${WORKQ_FUZZ_SECONDS:-60}
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=(request frame reply dispatch journal)
fi

# The longest input worth trying: a request or reply is one message, the
# frame and dispatch inputs carry several.
max_len() {
  case $1 in
    request) echo 1024 ;;
    reply) echo 2048 ;;
    frame) echo 4096 ;;
    dispatch) echo 4096 ;;
    journal) echo 4096 ;;
    *) echo "ci/fuzz.sh: unknown target $1" >&2; return 1 ;;
  esac
}

mkdir -p build/fuzz
exes=()
for t in "${targets[@]}"; do
  max_len "$t" >/dev/null
  exes+=("fuzz_$t")
done
if ! { cmake --preset linux-fuzz && cmake --build --preset linux-fuzz -j "$(nproc 2>/dev/null || echo 2)" --target "${exes[@]}"; } \
    >build/fuzz/build.log 2>&1; then
  echo "ci/fuzz.sh: the linux-fuzz build failed; the end of build/fuzz/build.log:" >&2
  tail -n 40 build/fuzz/build.log >&2
  exit 1
fi

export UBSAN_OPTIONS=print_stacktrace=1
status=0
for t in "${targets[@]}"; do
  work=build/fuzz/$t
  log=build/fuzz/$t.log
  rm -rf "$work"
  mkdir -p "$work/corpus"
  cp tests/fuzz/corpus/"$t"/* tests/fuzz/regressions/"$t"/* "$work/corpus/" 2>/dev/null || true
  dict=()
  if [ -f tests/fuzz/dict/"$t".dict ]; then
    dict=(-dict=tests/fuzz/dict/"$t".dict)
  fi
  rc=0
  build/linux-fuzz/tests/fuzz/fuzz_"$t" "$work/corpus" "${dict[@]}" \
    -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/" -print_final_stats=1 >"$log" 2>&1 || rc=$?
  # A run that fails early may print none of these.
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1) || true
  cov=$( (grep -o 'cov: [0-9]*' "$log" || true) | tail -n 1 | cut -d' ' -f2)
  files=$(find "$work/corpus" -type f | wc -l)
  if [ "$rc" -eq 0 ]; then
    echo "fuzz_$t: ok — ${runs:-?} runs in ${seconds} s, coverage ${cov:-?}, corpus ${files} files"
  else
    echo "fuzz_$t: FAILED (exit $rc); the end of $log:" >&2
    tail -n 40 "$log" >&2
    find "$work" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
      -o -name 'oom-*' \) -exec echo "  failing input: {}" \; >&2
    status=1
  fi
done
exit "$status"
