# ci/lib.sh — helpers for ci/ scripts (sourced, not run).

step() {
  printf '\n==== %s\n' "$*"
}

# Install the Debian packages that are not installed yet (one apt-get
# update first, as a fresh machine's package lists may be empty or old).
apt_updated=0
need_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  step "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [ "$apt_updated" -eq 0 ]; then
    apt-get update -q
    apt_updated=1
  fi
  apt-get install -y -q "${missing[@]}"
}

# Make Debian's source packages reachable: a deb-src entry for the same
# mirror and release as the binary packages.
enable_deb_src() {
  local list=/etc/apt/sources.list.d/workq-deb-src.sources
  if grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    return 0
  fi
  local uri codename
  uri=$(grep -rhsE '^URIs:' /etc/apt/sources.list.d/*.sources | grep -v security | head -n 1 \
        | awk '{print $2}')
  [ -n "$uri" ] || uri=$(grep -hsE '^deb ' /etc/apt/sources.list | grep -v security | head -n 1 \
        | awk '{print $2}')
  [ -n "$uri" ] || uri=http://deb.debian.org/debian
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$uri" "$codename" > "$list"
  apt-get update -q
  apt_updated=1
}

# Build CMocka for mingw-w64 from Debian's cmocka source package into
# $1/prefix, unless a previous run already did.
build_cmocka_mingw() {
  local cache=$1
  local prefix=$cache/prefix
  if [ -f "$prefix/lib/cmake/cmocka/cmocka-config.cmake" ]; then
    echo "reusing $prefix"
    return 0
  fi
  enable_deb_src
  rm -rf "$cache/src" "$cache/build"
  mkdir -p "$cache/src"
  (cd "$cache/src" && apt-get source -q cmocka)
  local srcdir
  srcdir=$(find "$cache/src" -mindepth 1 -maxdepth 1 -type d -name 'cmocka-*' | head -n 1)
  [ -n "$srcdir" ] || { echo "apt-get source cmocka gave no source tree" >&2; return 1; }
  # Static, so test executables under Wine need no cmocka DLL beside them.
  cmake -S "$srcdir" -B "$cache/build" \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DWITH_STATIC_LIB=ON \
    -DWITH_EXAMPLES=OFF \
    -DUNIT_TESTING=OFF
  cmake --build "$cache/build" -j "$(nproc 2>/dev/null || echo 2)"
  cmake --install "$cache/build"
}

# A Wine prefix of our own, quiet, with a persistent wineserver so that
# every test binary does not pay for starting one.
start_wine() {
  export WINEPREFIX=$1
  export WINEDEBUG=-all
  # No Mono or Gecko installers popping up in a headless run.
  export WINEDLLOVERRIDES="mscoree,mshtml="
  unset DISPLAY
  mkdir -p "$WINEPREFIX"
  # The persistent server must come first: once wineboot has started an
  # ordinary one, `wineserver -p` refuses (exit 2). A server left over from
  # an earlier run on this prefix is ended first.
  wineserver -k 2>/dev/null || true
  wineserver -w 2>/dev/null || true
  wineserver -p
  # Creates or updates the prefix; its complaints about the missing 32-bit
  # half (wine32) do not matter to 64-bit tests. On a brand-new prefix it
  # has been seen to fail once (exit 53) and succeed when run again on a
  # fresh server, so one failure is retried; a second one is reported.
  if ! wineboot -i </dev/null >/dev/null 2>&1; then
    echo "start_wine: wineboot -i failed on $WINEPREFIX; retrying once" >&2
    wineserver -k 2>/dev/null || true
    wineserver -w 2>/dev/null || true
    wineserver -p
    if ! wineboot -i </dev/null >"$WINEPREFIX.wineboot.log" 2>&1; then
      echo "start_wine: wineboot -i failed again; its output:" >&2
      tail -n 20 "$WINEPREFIX.wineboot.log" >&2
      return 1
    fi
  fi
  # Wine 8: `wineboot -i` under a persistent server leaves TWO services.exe
  # running, each with its own service database, answering \pipe\svcctl in
  # turn (a service created through one is missing from the other). Restart
  # on the now-initialised prefix: a plain wineboot starts exactly one.
  wineserver -k 2>/dev/null || true
  wineserver -w 2>/dev/null || true
  wineserver -p
  wineboot </dev/null >/dev/null 2>&1
}

stop_wine() {
  if [ -n "${WINEPREFIX:-}" ]; then
    wineserver -k 2>/dev/null || true
    wineserver -w 2>/dev/null || true
  fi
}
