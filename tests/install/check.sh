#!/usr/bin/env bash
# tests/install/check.sh — libworkq as ports and packagers see it.
#
# Builds workq with tests off, installs it into a temporary prefix with
# `cmake --install --prefix`, checks what landed there (files, SONAME, the
# exported symbols) and builds and runs tests/install/consumer against it:
#
#   linux    find_package(workq): workq::workq (shared) and workq::workq_static
#            pkg-config: workq (shared) and --static workq-static
#   windows  the mingw-w64 cross build; find_package(workq) through the
#            toolchain file, shared (workq.dll next to consumer.exe) and
#            static; run under Wine
#
# Every check prints one PASS or FAIL line; the last line is the summary
# ("install: 14 passed, 0 failed"); the exit status is non-zero if any
# check failed. Build trees and prefixes live in one mktemp -d directory,
# removed at exit. Needs what ci/test.sh installs (cmake, gcc, pkg-config,
# libbsd-dev; mingw-w64 and Wine for windows). Under ci/test.sh the Wine
# server it started is reused; alone, Wine is started on build/wineprefix.
#
#   tests/install/check.sh [all|linux|windows]
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 1
root=$(pwd)
what=${1:-all}
case "$what" in
  all|linux|windows) ;;
  *) echo "usage: tests/install/check.sh [all|linux|windows]" >&2; exit 2 ;;
esac

# shellcheck source=ci/lib.sh
. ci/lib.sh

jobs=$(nproc 2>/dev/null || echo 2)
consumer_src=$root/tests/install/consumer
tmp=$(mktemp -d "${TMPDIR:-/tmp}/workq-install.XXXXXX")
our_wine=0
cleanup() {
  if [ "$our_wine" -eq 1 ]; then stop_wine; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# What ports build: optimised, no tests (warnings stay fatal).
configure_flags=(-G "Unix Makefiles" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWORKQ_BUILD_TESTS=OFF)

passed=0
failed=0
pass() { echo "install: PASS: $*"; passed=$((passed + 1)); }
fail() { echo "install: FAIL: $*"; failed=$((failed + 1)); }

# run LOG CMD...: run CMD with its output in $tmp/LOG; on failure show the
# end of that output.
run() {
  local log=$tmp/$1.log
  shift
  if "$@" >>"$log" 2>&1; then
    return 0
  fi
  echo "---- $* failed; end of $log:"
  tail -n 40 "$log" | sed 's/^/    /'
  return 1
}

# The functions the headers declare WQ_API, one a line, sorted.
declared_api() {
  grep -h '^WQ_API ' "$1"/include/workq/*.h | grep -o '^WQ_API [^(]*(' \
    | sed -E 's/.*[ *]([A-Za-z_][A-Za-z0-9_]*)\($/\1/' | sort -u
}

# compare_exports WHAT PREFIX EXPORTED_FILE: the exported names must be
# exactly the declared WQ_API functions.
compare_exports() {
  local label=$1 prefix=$2 exported=$3
  declared_api "$prefix" >"$tmp/declared.txt"
  local n_exp n_decl other
  n_exp=$(wc -l <"$exported")
  n_decl=$(wc -l <"$tmp/declared.txt")
  other=$(grep -v '^wq_' "$exported" | tr '\n' ' ')
  if [ "$n_exp" -gt 0 ] && [ -z "$other" ] && diff -u "$tmp/declared.txt" "$exported" >"$tmp/exports.diff"; then
    pass "$label: $n_exp exported symbols, all wq_, exactly the $n_decl WQ_API functions of the headers"
  else
    [ -z "$other" ] || echo "    not wq_: $other"
    [ ! -s "$tmp/exports.diff" ] || sed 's/^/    /' "$tmp/exports.diff"
    fail "$label: exported symbols are not exactly the WQ_API functions"
  fi
}

# has_files LABEL PREFIX FILE...: every FILE exists under PREFIX.
# The prefix given at configure time must not appear in what was installed
# into another prefix.
has_files() {
  local label=$1 prefix=$2 f absent="" leaked
  shift 2
  for f in "$@"; do
    [ -e "$prefix/$f" ] || absent="$absent $f"
  done
  leaked=$(grep -rls /nonexistent/configured-prefix "$prefix/lib/cmake" "$prefix/lib/pkgconfig" | tr '\n' ' ')
  if [ -z "$absent" ] && [ -z "$leaked" ]; then
    pass "$label: the $# expected files are installed (libraries, headers, CMake package, .pc files, programs)"
  else
    [ -z "$absent" ] || echo "    missing from the prefix:$absent"
    [ -z "$leaked" ] || echo "    the configure-time prefix is written in: $leaked"
    fail "$label: installed files"
  fi
}

headers=(include/workq/workq.h include/workq/version.h include/workq/export.h
  include/workq/errors.h include/workq/transport.h include/workq/server.h include/workq/client.h)
package=(lib/cmake/workq/workq-config.cmake lib/cmake/workq/workq-config-version.cmake
  lib/cmake/workq/workq-targets.cmake lib/pkgconfig/workq.pc lib/pkgconfig/workq-static.pc)

# ---------------------------------------------------------------- Linux
linux_checks() {
  local prefix=$tmp/linux-prefix
  step "install: Linux build, installed into $prefix"
  # Configured for one prefix, installed into another: nothing installed
  # may depend on the configured one.
  if run linux-build cmake -S "$root" -B "$tmp/linux-build" "${configure_flags[@]}" \
       -DCMAKE_INSTALL_PREFIX=/nonexistent/configured-prefix \
     && run linux-build cmake --build "$tmp/linux-build" -j "$jobs" \
     && run linux-build cmake --install "$tmp/linux-build" --prefix "$prefix"; then
    pass "linux: build and cmake --install --prefix"
  else
    fail "linux: build and cmake --install --prefix"
    return
  fi

  has_files linux "$prefix" lib/libworkq.so lib/libworkq.so.0 lib/libworkq.so.0.1.0 \
    lib/libworkq.a bin/workqd bin/workqctl "${headers[@]}" "${package[@]}"

  local so=$prefix/lib/libworkq.so soname link
  soname=$(objdump -p "$so" 2>/dev/null | awk '$1 == "SONAME" { print $2 }')
  link=$(readlink "$so")
  if [ "$soname" = libworkq.so.0 ] && [ "$link" = libworkq.so.0 ] \
     && [ "$(readlink "$prefix/lib/libworkq.so.0")" = libworkq.so.0.1.0 ]; then
    pass "linux: SONAME libworkq.so.0; libworkq.so -> libworkq.so.0 -> libworkq.so.0.1.0"
  else
    fail "linux: SONAME '$soname' (want libworkq.so.0), libworkq.so -> '$link'"
  fi

  # Defined dynamic symbols. Old linkers also put _edata, _end and
  # __bss_start there; those are the only other names allowed.
  nm -D --defined-only "$so" | awk '{ print $NF }' \
    | grep -vxE '_edata|_end|__bss_start|_init|_fini' | sort -u >"$tmp/linux-exports.txt"
  compare_exports "linux: nm -D libworkq.so" "$prefix" "$tmp/linux-exports.txt"

  # The static archive cannot hide its internals; they must at least stay
  # in workq's namespaces.
  local stray
  nm -g --defined-only "$prefix/lib/libworkq.a" 2>/dev/null \
    | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/linux-archive.txt"
  stray=$(grep -vE '^(wq_|wqi_)' "$tmp/linux-archive.txt" | tr '\n' ' ')
  if [ -z "$stray" ] && grep -qx wq_version "$tmp/linux-archive.txt"; then
    pass "linux: libworkq.a defines only wq_ and wqi_ global symbols"
  else
    fail "linux: libworkq.a global symbols outside wq_/wqi_: $stray"
  fi

  # find_package, shared then static.
  local variant build exe
  for variant in shared static; do
    build=$tmp/linux-consumer-$variant
    exe=$build/consumer
    if run "linux-consumer-$variant" cmake -S "$consumer_src" -B "$build" -G "Unix Makefiles" \
         -DCMAKE_PREFIX_PATH="$prefix" \
         -DWORKQ_USE_STATIC="$([ $variant = static ] && echo ON || echo OFF)" \
       && run "linux-consumer-$variant" cmake --build "$build" \
       && run "linux-consumer-$variant" "$exe" \
       && linked_as "$variant" "$exe" "$prefix"; then
      pass "linux: find_package(workq) consumer, $variant ($(linkage "$exe")), runs"
    else
      fail "linux: find_package(workq) consumer, $variant"
    fi
  done

  # pkg-config, shared then static, with the compiler alone.
  local flags
  export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
  for variant in shared static; do
    exe=$tmp/linux-pc-$variant
    if [ $variant = shared ]; then
      flags=$(pkg-config --cflags --libs workq 2>>"$tmp/linux-pc-$variant.log")
    else
      flags=$(pkg-config --static --cflags --libs workq-static 2>>"$tmp/linux-pc-$variant.log")
    fi
    # shellcheck disable=SC2086 # flags are words
    if [ -n "$flags" ] \
       && run "linux-pc-$variant" cc -std=c11 -Wall -Wextra -Wpedantic -Werror \
            "$consumer_src/main.c" $flags -o "$exe" \
       && run "linux-pc-$variant" env LD_LIBRARY_PATH="$prefix/lib" "$exe" \
       && linked_as "$variant" "$exe" "$prefix" "$prefix/lib"; then
      pass "linux: pkg-config consumer, $variant ($flags), runs"
    else
      fail "linux: pkg-config consumer, $variant"
    fi
  done
  unset PKG_CONFIG_PATH
}

# linkage EXE: how EXE gets libworkq, for the PASS line.
linkage() {
  if readelf -d "$1" | grep -q 'NEEDED.*\[libworkq\.so\.0\]'; then
    echo "needs libworkq.so.0"
  else
    echo "libworkq linked in"
  fi
}

# linked_as shared|static EXE PREFIX [LD_LIBRARY_PATH]: a shared consumer
# loads the prefix's libworkq.so.0; a static one needs no libworkq at all.
linked_as() {
  local needed resolved
  needed=$(readelf -d "$2" | grep -c 'NEEDED.*libworkq')
  if [ "$1" = static ]; then
    [ "$needed" -eq 0 ] || { echo "    static consumer still needs libworkq"; return 1; }
    return 0
  fi
  resolved=$(env LD_LIBRARY_PATH="${4:-}" ldd "$2" | awk '$1 == "libworkq.so.0" { print $3 }')
  [ "$resolved" = "$3/lib/libworkq.so.0" ] || { echo "    libworkq.so.0 resolves to '$resolved'"; return 1; }
}

# ---------------------------------------------------------------- Windows
windows_checks() {
  local prefix=$tmp/windows-prefix
  local toolchain=$root/cmake/mingw-w64-x86_64.cmake
  step "install: Windows (mingw-w64) build, installed into $prefix"
  if run windows-build cmake -S "$root" -B "$tmp/windows-build" "${configure_flags[@]}" \
       -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_INSTALL_PREFIX=/nonexistent/configured-prefix \
     && run windows-build cmake --build "$tmp/windows-build" -j "$jobs" \
     && run windows-build cmake --install "$tmp/windows-build" --prefix "$prefix"; then
    pass "windows: cross-build and cmake --install --prefix"
  else
    fail "windows: cross-build and cmake --install --prefix"
    return
  fi

  has_files windows "$prefix" bin/workq.dll lib/libworkq.dll.a lib/libworkq_s.a \
    bin/workqd.exe bin/workqctl.exe "${headers[@]}" "${package[@]}"

  # The DLL's export name table.
  local dll=$prefix/bin/workq.dll
  x86_64-w64-mingw32-objdump -p "$dll" \
    | sed -n '/^\[Ordinal\/Name Pointer\] Table/,/^$/p' \
    | sed -nE 's/^[[:space:]]*\[ *[0-9]+\] +([^ ]+)$/\1/p' | sort -u >"$tmp/windows-exports.txt"
  compare_exports "windows: objdump -p workq.dll" "$prefix" "$tmp/windows-exports.txt"

  if [ -z "${WINEPREFIX:-}" ]; then
    start_wine "$root/build/wineprefix"
    our_wine=1
  fi
  local wine
  wine=$(command -v wine64 || command -v wine)

  local variant build exe imports want
  for variant in shared static; do
    build=$tmp/windows-consumer-$variant
    exe=$build/consumer.exe
    if run "windows-consumer-$variant" cmake -S "$consumer_src" -B "$build" -G "Unix Makefiles" \
         -DCMAKE_TOOLCHAIN_FILE="$toolchain" -Dworkq_DIR="$prefix/lib/cmake/workq" \
         -DWORKQ_USE_STATIC="$([ $variant = static ] && echo ON || echo OFF)" \
       && run "windows-consumer-$variant" cmake --build "$build"; then
      imports=$(x86_64-w64-mingw32-objdump -p "$exe" | grep -ci 'DLL Name: workq\.dll')
      want=0
      if [ $variant = shared ]; then
        want=1
        # Windows finds a DLL next to the program.
        cp "$dll" "$build/"
      fi
      if [ "$imports" -eq "$want" ] \
         && run "windows-consumer-$variant" timeout 300 "$wine" "$exe"; then
        pass "windows: find_package(workq) consumer, $variant ($([ "$want" -eq 1 ] && echo "imports workq.dll" || echo "no workq.dll")), runs under Wine"
      else
        [ "$imports" -eq "$want" ] || echo "    consumer.exe imports workq.dll $imports times, want $want"
        fail "windows: find_package(workq) consumer, $variant, under Wine"
      fi
    else
      fail "windows: find_package(workq) consumer, $variant: configure or build"
    fi
  done
}

if [ "$what" != windows ]; then linux_checks; fi
if [ "$what" != linux ]; then windows_checks; fi

echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
