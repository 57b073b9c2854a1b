#!/usr/bin/env bash
# bench/wine.sh — issue 5, scenario 7: workq on Windows (under Wine) over its
# named pipe, measured against a raw message-mode named-pipe ping-pong in the
# same run. Installs what is missing (Debian 12, as root), cross-builds
# bench/windows with mingw-w64 into build/bench-win (wqbench-win.exe and
# workqd.exe), starts Wine on its own prefix (build/bench-wineprefix), starts
# workqd.exe and `wqbench-win serve-pipe` on pipes named after this shell's
# pid, and runs each scenario with default scheduling and pinned to CPU 0
# (the servers, the client and the prefix's wineserver).
#
#   bench/wine.sh [RESULTS_FILE]           full run (median of 5 reps, under a minute)
#   bench/wine.sh --quick [RESULTS_FILE]   half the ops
#   bench/wine.sh --smoke                  correctness only: every reply and
#                                          payload checked, no timing; for CI
#
# Result lines "<label> <sched> <unit> <median> <min> <max>" (the format of
# bench/run.sh's table) are printed and, with RESULTS_FILE, appended to it.
# Every server started here is stopped by its PID at exit, then the prefix's
# wineserver; Wine's server directory lives under build/, not /tmp.
set -euo pipefail

mode=full
out_file=
for a in "$@"; do
  case "$a" in
    --quick) mode=quick ;;
    --smoke) mode=smoke ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    -*) echo "usage: bench/wine.sh [--quick|--smoke] [RESULTS_FILE]" >&2; exit 2 ;;
    *)
      # Relative to where we were called from, before the cd below.
      case "$a" in /*) out_file=$a ;; *) out_file=$(pwd)/$a ;; esac ;;
  esac
done

cd "$(dirname "$0")/.."
root=$(pwd)
# shellcheck source=ci/lib.sh
. ci/lib.sh

# The packages ci/test.sh installs for its Windows half (dpkg-dev aside,
# which only CMocka's source build needs), and taskset/pgrep.
need_packages cmake make gcc-mingw-w64-x86-64 wine wine64 util-linux procps

jobs=$(nproc 2>/dev/null || echo 2)
step "bench (Wine): build (build/bench-win, mingw-w64)"
cmake -S bench/windows -B build/bench-win \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/bench-win -j "$jobs" --target wqbench-win workqd >/dev/null
wqbench=$root/build/bench-win/wqbench-win.exe
workqd=$root/build/bench-win/workq/workqd.exe
wine=$(command -v wine64 || command -v wine)

# Logs of this run; removed at exit.
dir=$(mktemp -d "$root/build/bench-wine.XXXXXX")
pids=()
our_wine=0
# wine_pids [wineserver]: the live Wine processes (loader or, with the
# argument, only wineserver) of our prefix, found by their executable and
# their WINEPREFIX rather than by name, so that another prefix's are left
# alone. (A process may be gone by the time its environ is read.)
wine_pids() {
  local d exe
  for d in /proc/[0-9]*; do
    exe=$(readlink "$d/exe" 2>/dev/null) || continue
    case "${exe##*/}" in ${1:-wine}*) ;; *) continue ;; esac
    if { tr '\0' '\n' <"$d/environ"; } 2>/dev/null | grep -qxF "WINEPREFIX=$WINEPREFIX"; then
      echo "${d#/proc/}"
    fi
  done
}
cleanup() {
  local p
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  # Only the server of our prefix: a caller's WINEPREFIX (ci/test.sh exports
  # one) is not ours to stop if we fail before start_wine.
  if [ "$our_wine" -eq 1 ]; then
    stop_wine
    # A Wine process of our prefix that outlived its server (seen once on a
    # new prefix: a winedevice.exe still starting when wineserver -k ran,
    # then blocked for ever) is ended by its PID too.
    for p in $(wine_pids); do
      kill "$p" 2>/dev/null || true
    done
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Debian's wineserver makes its socket directory in $TMPDIR (wine-XXXXXX,
# recorded in the prefix and reused). Under build/ the run leaves nothing in
# /tmp, and a server left by an interrupted run is still found (and ended)
# by start_wine. The socket path must fit in sun_path (108 bytes), which
# holds ~55 bytes of TMPDIR; a deeper checkout keeps the default.
wine_tmp=$root/build/bench-wine-tmp
if [ "${#wine_tmp}" -le 55 ]; then
  mkdir -p "$wine_tmp"
  export TMPDIR=$wine_tmp
else
  echo "bench (Wine): checkout path too long for Wine's socket under build/; using ${TMPDIR:-/tmp}" >&2
fi

step "bench (Wine): Wine prefix build/bench-wineprefix"
our_wine=1
start_wine "$root/build/bench-wineprefix"

start() { # start NAME COMMAND...: run in the background, log to $dir/NAME.log
  local name=$1; shift
  "$@" >"$dir/$name.log" 2>&1 &
  pids+=("$!")
  eval "pid_$name=$!"
}

# The pipes are named after this shell's pid, unique to the run (a server
# left by an earlier run cannot answer for ours); a plain name is
# \\.\pipe\<name> for both servers.
WQ=wqbench-workq-$$
RAW=wqbench-raw-$$
step "bench (Wine): servers on \\\\.\\pipe\\$WQ and \\\\.\\pipe\\$RAW"
start workqd "$wine" "$workqd" --endpoint "$WQ" --log-level warn
start raw "$wine" "$wqbench" serve-pipe "$RAW"

# wait_ready NAME SCENARIO ENDPOINT: until one short check passes against the
# server (each try is a whole Wine process; at most ~100 tries, 0.1 s apart).
# A server that exits meanwhile fails at once, with its log.
wait_ready() {
  local name=$1 sc=$2 ep=$3 pid
  eval "pid=\$pid_$name"
  for _ in $(seq 1 100); do
    "$wine" "$wqbench" check "$sc" "$ep" 1 64 >/dev/null 2>&1 && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "bench (Wine): $name exited:" >&2
      cat "$dir/$name.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "bench (Wine): $name does not answer on $ep" >&2
  cat "$dir/$name.log" >&2
  return 1
}
wait_ready workqd workq-ping "$WQ"
wait_ready raw pipe-ping "$RAW"

all_cpus="0-$(( $(nproc) - 1 ))"
pin_servers() {
  local p
  for p in "${pids[@]}" $(wine_pids wineserver); do
    taskset -a -pc "$1" "$p" >/dev/null
  done
}

# ---- smoke: correctness only ----------------------------------------------
if [ "$mode" = smoke ]; then
  step "bench (Wine): smoke (replies and payloads checked, no timing)"
  fail=0
  chk() { "$wine" "$wqbench" check "$@" || { echo "bench (Wine) smoke: FAILED: $*" >&2; fail=1; }; }
  chk workq-ping "$WQ" 200 64
  chk pipe-ping "$RAW" 200 64
  chk workq-job "$WQ" 200 64
  chk pipe-ping "$RAW" 5 65535
  chk workq-job "$WQ" 5 65535
  pin_servers 0
  chk_p() {
    taskset -c 0 "$wine" "$wqbench" check "$@" \
      || { echo "bench (Wine) smoke: FAILED (pinned): $*" >&2; fail=1; }
  }
  chk_p workq-ping "$WQ" 100 64
  chk_p pipe-ping "$RAW" 100 64
  chk_p workq-job "$WQ" 100 64
  pin_servers "$all_cpus"
  for n in "${pids[@]}"; do
    kill -0 "$n" 2>/dev/null || { echo "bench (Wine) smoke: a server died (pid $n)" >&2; fail=1; }
  done
  [ "$fail" -eq 0 ] && echo "bench (Wine) smoke: OK" || echo "bench (Wine) smoke: FAILED" >&2
  exit "$fail"
fi

# ---- measurements -----------------------------------------------------------
# Ops per repetition, sized for ~1 s per repetition under Wine on a 2-core VM
# (a few thousand round trips a second).
reps=5
if [ "$mode" = quick ]; then scale=2; else scale=1; fi
failed=0
res=$dir/results.txt
: >"$res"

# m LABEL PIN SCENARIO ENDPOINT OPS SIZE
m() {
  local label=$1 pin=$2 sc=$3 ep=$4 ops=$(( $5 / scale )) size=$6 out
  local cmd=("$wine" "$wqbench" run "$sc" "$ep" "$ops" "$reps" "$size")
  [ "$pin" = pinned ] && cmd=(taskset -c 0 "${cmd[@]}")
  out=$("${cmd[@]}" 2>"$dir/err") \
    || { echo "bench (Wine): FAILED: $label $pin: $(tail -n 1 "$dir/err")" >&2; failed=1; }
  # RESULT scenario clients unit median min max
  echo "$out" | awk -v l="$label" -v p="$pin" '/^RESULT/ {print l, p, $4, $5, $6, $7}' >>"$res"
  echo "$out" | awk -v l="$label" -v p="$pin" '/^RESULT/ {printf "  %-22s %-8s %12s %s\n", l, p, $5, $4}' >&2
}

for pin in default pinned; do
  if [ "$pin" = pinned ]; then pin_servers 0; else pin_servers "$all_cpus"; fi
  step "bench (Wine): $pin scheduling"
  m wine.workq-ping    $pin workq-ping "$WQ"  4000 64
  m wine.raw-pipe-ping $pin pipe-ping  "$RAW" 4000 64
  m wine.workq-job     $pin workq-job  "$WQ"  1500 64
done
pin_servers "$all_cpus"

step "bench (Wine): results ($mode run, $(date -u +%Y-%m-%d), nproc $(nproc), median of $reps reps)"
{
  printf '%-30s %-8s %-6s %14s %14s %14s\n' scenario sched unit median min max
  awk '{printf "%-30s %-8s %-6s %14.1f %14.1f %14.1f\n", $1, $2, $3, $4, $5, $6}' "$res"
  echo
  echo "ratios (same run):"
  awk '
    { v[$1 " " $2] = $4 }
    function r(name, a, b, bar,   x) {
      if (!((a) in v) || !((b) in v) || v[b] == 0) { printf "  %-52s not measured\n", name; return }
      x = v[a] / v[b]
      if (bar == "") { printf "  %-52s %6.2f\n", name, x; return }
      printf "  %-52s %6.2f  (bar %s: %s)\n", name, x, bar, (x >= bar ? "reached" : "not reached")
    }
    END {
      r("Wine pinned: workq PING / raw named-pipe ping-pong", "wine.workq-ping pinned", "wine.raw-pipe-ping pinned", 0.85)
      printf "  (default scheduling, for reference)\n"
      r("Wine default: workq PING / raw named-pipe ping-pong", "wine.workq-ping default", "wine.raw-pipe-ping default", 0.85)
    }' "$res"
}
if [ -n "$out_file" ]; then
  cat "$res" >>"$out_file"
fi
[ "$failed" -eq 0 ] || { echo "bench (Wine): some scenarios FAILED (see above)" >&2; exit 1; }
exit 0
