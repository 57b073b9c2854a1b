#!/usr/bin/env bash
# bench/run.sh — workq measured side by side with the raw transport, nng,
# Redis and beanstalkd (issue 5). Installs what is missing (Debian 12, as
# root), builds the release preset and bench/ (into build/bench), starts
# every server on Unix sockets in a temporary directory, runs the
# scenarios with default scheduling and pinned to CPU 0, prints one table.
#
#   bench/run.sh           full run (median of 5 repetitions, a few minutes)
#   bench/run.sh --quick   reduced set, under a minute
#   bench/run.sh --smoke   correctness only: small counts, every reply and
#                          payload checked, no timing printed; what CI runs
#
# Every server started here is stopped by its PID at exit; the temporary
# directory is removed. Nothing listens on a network port.
set -euo pipefail

mode=full
for a in "$@"; do
  case "$a" in
    --quick) mode=quick ;;
    --smoke) mode=smoke ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "usage: bench/run.sh [--quick|--smoke]" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
root=$(pwd)
# shellcheck source=ci/lib.sh
. ci/lib.sh

need_packages cmake make gcc pkg-config libbsd-dev redis-server beanstalkd \
  libnng-dev libhiredis-dev util-linux

jobs=$(nproc 2>/dev/null || echo 2)
step "bench: build (release preset + build/bench)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs" >/dev/null
cmake -S bench -B build/bench -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/bench -j "$jobs" >/dev/null
wqbench=$root/build/bench/wqbench
workqd=$root/build/release/workqd

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# mem_line NAME KB NOTE: one table row in MB.
mem_line() {
  mem_lines+=("$(awk -v n="$1" -v k="$2" -v t="$3" 'BEGIN{printf "%-30s %-8s %-6s %14.1f  %s", n, "-", "MB", k/1024, t}')")
}

# 1,000 idle clients plus the servers' own descriptors.
ulimit -n 4096 2>/dev/null || true

dir=$(mktemp -d /tmp/wqbench.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_sock PATH: until the server has created its socket (10 s at most).
wait_sock() {
  local i
  for i in $(seq 1 200); do
    [ -S "$1" ] && return 0
    sleep 0.05
  done
  echo "bench: no socket at $1" >&2
  return 1
}

start() { # start NAME COMMAND...: run in the background, log to $dir/NAME.log
  local name=$1; shift
  "$@" >"$dir/$name.log" 2>&1 &
  pids+=("$!")
  eval "pid_$name=$!"
}

step "bench: servers in $dir"
start workqd "$workqd" --endpoint "$dir/workq.sock" --log-level warn --max-connections 2048
pid_workqd1=$pid_workqd
start raw "$wqbench" serve-raw "$dir/raw.sock"
start epoll "$wqbench" serve-epoll "$dir/epoll.sock"
start nng "$wqbench" serve-nng "ipc://$dir/nng.sock"
start redis redis-server --port 0 --unixsocket "$dir/redis.sock" --unixsocketperm 700 \
  --save "" --appendonly no --dir "$dir" --daemonize no --logfile "$dir/redis.log"
start beanstalkd beanstalkd -l "unix:$dir/bs.sock" -z 2000000
for s in workq raw epoll nng redis bs; do wait_sock "$dir/$s.sock"; done

WQ="$dir/workq.sock"; RAW="$dir/raw.sock"; EP="$dir/epoll.sock"
NNG="ipc://$dir/nng.sock"; RS="$dir/redis.sock"; BS="$dir/bs.sock"
all_cpus="0-$(( $(nproc) - 1 ))"

# pin_servers CPUS: every thread of every server onto CPUS (threads made
# later inherit from the accept/main thread).
pin_servers() {
  local p
  for p in "${pids[@]}"; do
    taskset -a -pc "$1" "$p" >/dev/null
  done
}

# ---- smoke: correctness only ----------------------------------------------
if [ "$mode" = smoke ]; then
  step "bench: smoke (counts and payloads checked, no timing)"
  fail=0
  chk() { "$wqbench" check "$@" || { echo "bench smoke: FAILED: $*" >&2; fail=1; }; }
  chk workq-ping "$WQ" 1 200 64
  chk raw-ping "$RAW" 1 200 64
  chk nng-ping "$NNG" 1 200 64
  chk redis-ping "$RS" 1 200 64
  chk workq-job "$WQ" 1 200 64
  chk workq-job-pipelined "$WQ" 1 200 64
  chk bs-job "$BS" 1 200 64
  chk redis-job "$RS" 1 200 64
  chk workq-ping "$WQ" 8 50 64
  chk epoll-ping "$EP" 8 50 64
  chk redis-ping "$RS" 8 50 64
  chk workq-job "$WQ" 8 20 64
  chk epoll-job "$EP" 8 20 64
  chk workq-list "$WQ" 1 3 100
  chk workq-bulk "$WQ" 1 20 4096
  chk workq-bulk "$WQ" 1 3 1048576
  chk raw-oneway "$RAW" 1 20 4096
  chk raw-oneway "$RAW" 1 3 1048576
  "$wqbench" fill workq "$WQ" 100 64 || { echo "bench smoke: FAILED: fill" >&2; fail=1; }
  chk workq-job-deep "$WQ" 1 50 64
  "$wqbench" idle workq "$WQ" 50 "$pid_workqd" >/dev/null || { echo "bench smoke: FAILED: idle" >&2; fail=1; }
  # pinned: the same programs under taskset
  pin_servers 0
  chk_p() { taskset -c 0 "$wqbench" check "$@" || { echo "bench smoke: FAILED (pinned): $*" >&2; fail=1; }; }
  chk_p workq-ping "$WQ" 1 100 64
  chk_p workq-job "$WQ" 1 100 64
  for n in "${pids[@]}"; do
    kill -0 "$n" 2>/dev/null || { echo "bench smoke: a server died (pid $n)" >&2; fail=1; }
  done
  [ "$fail" -eq 0 ] && echo "bench smoke: OK" || echo "bench smoke: FAILED" >&2
  exit "$fail"
fi

# ---- measurements -----------------------------------------------------------
# Ops per repetition, sized for ~0.2-1 s per repetition on a 2-core VM.
if [ "$mode" = quick ]; then
  reps=5; scale=2   # ops divided by scale
else
  reps=5; scale=1
fi
failed=0
res=$dir/results.txt
: >"$res"

# m LABEL PIN SCENARIO ENDPOINT CLIENTS OPS SIZE
m() {
  local label=$1 pin=$2 sc=$3 ep=$4 cl=$5 ops=$(( $6 / scale )) size=$7 out
  [ "$ops" -ge 1 ] || ops=1
  if [ "$pin" = pinned ]; then
    out=$(taskset -c 0 "$wqbench" run "$sc" "$ep" "$cl" "$ops" "$reps" "$size" 2>"$dir/err") \
      || { echo "bench: FAILED: $label $pin: $(tail -n 1 "$dir/err")" >&2; failed=1; }
  else
    out=$("$wqbench" run "$sc" "$ep" "$cl" "$ops" "$reps" "$size" 2>"$dir/err") \
      || { echo "bench: FAILED: $label $pin: $(tail -n 1 "$dir/err")" >&2; failed=1; }
  fi
  # RESULT scenario clients unit median min max
  echo "$out" | awk -v l="$label" -v p="$pin" '/^RESULT/ {print l, p, $4, $5, $6, $7}' >>"$res"
  echo "$out" | awk -v l="$label" -v p="$pin" '/^RESULT/ {printf "  %-28s %-8s %12s %s\n", l, p, $5, $4}' >&2
}

for pin in default pinned; do
  if [ "$pin" = pinned ]; then pin_servers 0; else pin_servers "$all_cpus"; fi
  step "bench: $pin scheduling"
  m rt.workq-ping      $pin workq-ping "$WQ"  1 10000 64
  m rt.raw-ping        $pin raw-ping   "$RAW" 1 10000 64
  m rt.nng-reqrep      $pin nng-ping   "$NNG" 1 4000 64
  m rt.redis-ping      $pin redis-ping "$RS"  1 10000 64
  m job.workq          $pin workq-job  "$WQ"  1 4000 64
  m job.workq-pipelined $pin workq-job-pipelined "$WQ" 1 4000 64
  m job.beanstalkd     $pin bs-job     "$BS"  1 4000 64
  m job.redis-lpush-rpop $pin redis-job "$RS" 1 6000 64
  if [ "$mode" = full ]; then
    for c in 1 8 64; do
      m "many.workq-ping.c$c"  $pin workq-ping "$WQ" "$c" $(( 20000 / c )) 64
      m "many.epoll-ping.c$c"  $pin epoll-ping "$EP" "$c" $(( 20000 / c )) 64
      m "many.redis-ping.c$c"  $pin redis-ping "$RS" "$c" $(( 20000 / c )) 64
      m "many.workq-job.c$c"   $pin workq-job  "$WQ" "$c" $(( 6000 / c )) 64
      m "many.epoll-job.c$c"   $pin epoll-job  "$EP" "$c" $(( 6000 / c )) 64
      m "many.redis-job.c$c"   $pin redis-job  "$RS" "$c" $(( 6000 / c )) 64
    done
    m bulk.workq-publish-4k  $pin workq-bulk  "$WQ"  1 20000 4096
    m bulk.raw-oneway-4k     $pin raw-oneway  "$RAW" 1 20000 4096
    m bulk.workq-publish-1m  $pin workq-bulk  "$WQ"  1 200 1048576
    m bulk.raw-oneway-1m     $pin raw-oneway  "$RAW" 1 200 1048576
  else
    m "many.workq-ping.c64"  $pin workq-ping "$WQ" 64 $(( 20000 / 64 )) 64
    m "many.epoll-ping.c64"  $pin epoll-ping "$EP" 64 $(( 20000 / 64 )) 64
    m bulk.workq-publish-1m  $pin workq-bulk  "$WQ"  1 200 1048576
    m bulk.raw-oneway-1m     $pin raw-oneway  "$RAW" 1 200 1048576
  fi
done
pin_servers "$all_cpus"

# Depth and memory (full run only): 1,000,000 queued 64-byte items.
mem_lines=()
# Depth, LIST, and memory run against a second, fresh workqd: the first
# one keeps up to 256 MiB of heap that the bulk runs freed (workqd's memory
# policy, README "Memory") for 10-20 s, which would otherwise be counted as
# the memory of the 1,000,000 items. What the first one does with that
# memory is measured too: its RSS now and at the end of the run.
rss_bulk=$(rss_kb "$pid_workqd"); t_bulk=$SECONDS
start workqd2 "$workqd" --endpoint "$dir/workq2.sock" --log-level warn --max-connections 2048
wait_sock "$dir/workq2.sock"
WQ="$dir/workq2.sock"; pid_workqd=$pid_workqd2

if [ "$mode" = full ]; then
  step "bench: depth and memory (1,000,000 queued 64-byte items)"
  # The 0-queued rate right before the fill, so both depths are measured
  # back to back (same noise); the 1M rate after.
  for pin in default pinned; do
    if [ "$pin" = pinned ]; then pin_servers 0; else pin_servers "$all_cpus"; fi
    m depth.workq-job-0-queued $pin workq-job-deep "$WQ" 1 4000 64
  done
  pin_servers "$all_cpus"
  wq_before=$(rss_kb "$pid_workqd"); rs_before=$(rss_kb "$pid_redis")
  "$wqbench" fill workq "$WQ" 1000000 64 || failed=1
  "$wqbench" fill redis "$RS" 1000000 64 || failed=1
  wq_after=$(rss_kb "$pid_workqd"); rs_after=$(rss_kb "$pid_redis")
  mem_line mem.workqd-1M-items-RSS "$wq_after" "$(awk -v a="$wq_after" -v b="$wq_before" 'BEGIN{printf "(%.1f MB more than before the fill)", (a-b)/1024}')"
  mem_line mem.redis-1M-items-RSS "$rs_after" "$(awk -v a="$rs_after" -v b="$rs_before" 'BEGIN{printf "(%.1f MB more than before the fill)", (a-b)/1024}')"
  echo "memory kB: workqd $wq_before -> $wq_after; redis $rs_before -> $rs_after" >&2
  # Job cycle with the deep queue as the one being cycled: the oldest item
  # (handed out by RETRIEVE) is always one of the million.
  for pin in default pinned; do
    if [ "$pin" = pinned ]; then pin_servers 0; else pin_servers "$all_cpus"; fi
    m depth.workq-job-1M-queued $pin workq-job-deep "$WQ" 1 4000 64
  done
  pin_servers "$all_cpus"
fi

# LIST of 10,000 queues (they are created once, by the first repetition).
if [ "$mode" != smoke ]; then
  step "bench: LIST of 10,000 queues"
  for pin in default pinned; do
    if [ "$pin" = pinned ]; then pin_servers 0; else pin_servers "$all_cpus"; fi
    m depth.workq-list-10k $pin workq-list "$WQ" 1 40 10000
  done
  pin_servers "$all_cpus"
fi

# Memory per idle connection: 1,000 clients connected, each has said PING
# once; every one must still be answered afterwards.
if [ "$mode" = full ]; then
  step "bench: 1,000 idle connections"
  for x in workq redis; do
    if [ "$x" = workq ]; then ep=$WQ; p=$pid_workqd; else ep=$RS; p=$pid_redis; fi
    out=$("$wqbench" idle "$x" "$ep" 1000 "$p" 2>"$dir/err") \
      || { echo "bench: FAILED: idle $x: $(tail -n 1 "$dir/err")" >&2; failed=1; }
    cat "$dir/err" >&2
    echo "$out" | awk -v l="mem.idle-conn-$x" '/^RESULT/ {print l, "-", $4, $5, $6, $7}' >>"$res"
  done
fi

# Scenario 7: the named pipe under Wine (bench/wine.sh appends its rows).
if [ "$mode" != smoke ]; then
  step "bench: Windows under Wine"
  wine_args=("$res")
  [ "$mode" = quick ] && wine_args=(--quick "$res")
  bash bench/wine.sh "${wine_args[@]}" || { echo "bench: FAILED: wine" >&2; failed=1; }
fi

# The first workqd, 20 s or more after its bulk runs: retained heap given back?
if [ "$mode" = full ]; then
  while [ $(( SECONDS - t_bulk )) -lt 25 ]; do sleep 1; done
  rss_later=$(rss_kb "$pid_workqd1")
  mem_line mem.workqd-after-bulk-RSS "$rss_bulk" "$(awk -v a="$rss_later" -v s=$(( SECONDS - t_bulk )) 'BEGIN{printf "(%.1f MB %d s later)", a/1024, s}')"
fi

# ---- the table --------------------------------------------------------------
step "bench: results ($mode run, $(date -u +%Y-%m-%d), nproc $(nproc), median of $reps reps)"
{
  printf '%-30s %-8s %-6s %14s %14s %14s\n' scenario sched unit median min max
  awk '{printf "%-30s %-8s %-6s %14.1f %14.1f %14.1f\n", $1, $2, $3, $4, $5, $6}' "$res"
  for l in "${mem_lines[@]}"; do
    echo "$l"
  done
  echo
  echo "ratios (same run):"
  awk '
    { v[$1 " " $2] = $4 }
    function r(name, a, b, bar,   x) {
      if (!((a) in v) || !((b) in v) || v[b] == 0) { printf "  %-52s not measured\n", name; return }
      x = v[a] / v[b]
      if (bar == 0) { printf "  %-52s %6.2f\n", name, x; return }
      printf "  %-52s %6.2f  (bar %s: %s)\n", name, x, bar, (x >= bar ? "reached" : "not reached")
    }
    END {
      r("round trip pinned: workq PING / raw", "rt.workq-ping pinned", "rt.raw-ping pinned", 0.90)
      r("round trip pinned: workq PING / nng REQ/REP", "rt.workq-ping pinned", "rt.nng-reqrep pinned", 2.5)
      r("job cycle pinned: workq / beanstalkd", "job.workq pinned", "job.beanstalkd pinned", 1.2)
      r("job cycle pinned: workq / redis LPUSH+RPOP", "job.workq pinned", "job.redis-lpush-rpop pinned", 1.0)
      r("job cycle pinned: workq ACK+RETRIEVE pipelined / redis", "job.workq-pipelined pinned", "job.redis-lpush-rpop pinned", 1.0)
      r("job cycle pinned: workq pipelined / beanstalkd", "job.workq-pipelined pinned", "job.beanstalkd pinned", 1.2)
      r("64 clients default: workq PING / raw epoll", "many.workq-ping.c64 default", "many.epoll-ping.c64 default", 0.75)
      r("bulk pinned: workq PUBLISH 1 MiB / raw one-way", "bulk.workq-publish-1m pinned", "bulk.raw-oneway-1m pinned", 0.5)
      r("depth pinned: job cycle 1M queued / 0 queued", "depth.workq-job-1M-queued pinned", "depth.workq-job-0-queued pinned", 0.9)
      r("Wine pinned: workq PING / raw named-pipe ping-pong", "wine.workq-ping pinned", "wine.raw-pipe-ping pinned", 0.85)
      printf "  (default scheduling, for reference)\n"
      r("round trip default: workq PING / raw", "rt.workq-ping default", "rt.raw-ping default", 0.90)
      r("round trip default: workq PING / nng REQ/REP", "rt.workq-ping default", "rt.nng-reqrep default", 2.5)
      r("job cycle default: workq / beanstalkd", "job.workq default", "job.beanstalkd default", 1.2)
      r("job cycle default: workq / redis LPUSH+RPOP", "job.workq default", "job.redis-lpush-rpop default", 1.0)
      r("job cycle default: workq pipelined / redis", "job.workq-pipelined default", "job.redis-lpush-rpop default", 1.0)
      r("bulk default: workq PUBLISH 1 MiB / raw one-way", "bulk.workq-publish-1m default", "bulk.raw-oneway-1m default", 0.5)
      r("Wine default: workq PING / raw named-pipe ping-pong", "wine.workq-ping default", "wine.raw-pipe-ping default", 0.85)
      printf "  (no bar; for reference)\n"
      # A job cycle is 3 round trips: even at zero cost per request, workq
      # could not beat raw ping-pong / 3.
      if (("rt.raw-ping pinned" in v) && ("job.redis-lpush-rpop pinned" in v))
        printf "  %-52s %6.2f\n", "job cycle pinned: ceiling (raw ping-pong / 3) / redis", v["rt.raw-ping pinned"] / 3 / v["job.redis-lpush-rpop pinned"]
      r("64 clients default: workq job / epoll 3 round trips", "many.workq-job.c64 default", "many.epoll-job.c64 default", 0)
      r("64 clients default: workq job / redis LPUSH+RPOP", "many.workq-job.c64 default", "many.redis-job.c64 default", 0)
      r("Wine pinned: workq job cycle / raw pipe ping-pong", "wine.workq-job pinned", "wine.raw-pipe-ping pinned", 0)
      if ("depth.workq-list-10k pinned" in v) printf "  %-52s %6.2f ms\n", "LIST of 10,000 queues, pinned (median)", 1000 / v["depth.workq-list-10k pinned"]
      if ("depth.workq-list-10k default" in v) printf "  %-52s %6.2f ms\n", "LIST of 10,000 queues, default (median)", 1000 / v["depth.workq-list-10k default"]
      if ("mem.idle-conn-workq -" in v) printf "  %-52s %6.2f kB (redis %.2f kB)\n", "RSS per idle connection, 1,000 clients: workqd", v["mem.idle-conn-workq -"], v["mem.idle-conn-redis -"]
    }' "$res"
  # Lower is better here, hence not r() (bar reached at <= 1).
  awk '{ v[$1] = $4 }
    END {
      if (!("mem.idle-conn-workq" in v) || !("mem.idle-conn-redis" in v) || v["mem.idle-conn-redis"] == 0) {
        printf "  %-52s not measured\n", "memory: idle connection, workqd / redis RSS"; exit
      }
      x = v["mem.idle-conn-workq"] / v["mem.idle-conn-redis"]
      printf "  %-52s %6.3f  (bar <= 1.00: %s)\n", "memory: idle connection, workqd / redis RSS", x, (x <= 1.0 ? "reached" : "not reached")
    }' "$res"
  if [ "${#mem_lines[@]}" -gt 0 ]; then
    awk -v w="$wq_after" -v r="$rs_after" 'BEGIN {x = w / r;
      printf "  %-52s %6.2f  (bar <= 1.00: %s)\n", "memory: workqd RSS / redis RSS, 1M items", x, (x <= 1.0 ? "reached" : "not reached")}'
  else
    printf '  %-52s not measured\n' "memory: workqd RSS / redis RSS, 1M items"
  fi
}
# A scenario that failed (wrong reply, lost connection) fails the run.
[ "$failed" -eq 0 ] || { echo "bench: some scenarios FAILED (see above)" >&2; exit 1; }
exit 0
