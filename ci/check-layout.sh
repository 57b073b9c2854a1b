#!/usr/bin/env bash
# ci/check-layout.sh — OS-specific code lives only in posix/ and windows/
# folders, beside the product it belongs to (platform/<os> for libworkq,
# src/daemon/<os>, src/cli/<os>, tests/<os>, tests/support/<os>,
# bench/<os>). Everywhere else C files compile unchanged on every OS: no
# #if on an OS macro and no OS header. Prints each offending line; exits 1
# if there is one.
#
# One exception: include/workq/export.h, the public header that must pick
# __declspec(dllexport/dllimport) on Windows for every user of the library.
set -euo pipefail
cd "$(dirname "$0")/.."
os_macro='(_WIN32|_WIN64|_MSC_VER|__MINGW32__|__MINGW64__|__CYGWIN__|__linux__|__APPLE__|__unix__|__FreeBSD__|__OpenBSD__|__NetBSD__|\bWIN32\b)'
os_header='(windows\.h|winsock2?\.h|ws2tcpip\.h|sddl\.h|aclapi\.h|io\.h|direct\.h|unistd\.h|pthread\.h|dirent\.h|fcntl\.h|poll\.h|signal\.h|syslog\.h|pwd\.h|grp\.h|sys/[a-z_]+\.h|bsd/[a-z_]+\.h)'
pattern="^[[:space:]]*#[[:space:]]*((if|ifdef|ifndef|elif).*${os_macro}|include[[:space:]]*<${os_header}>)"
bad=0
while IFS= read -r -d '' f; do
  case "$f" in
    */posix/*|*/windows/*|include/workq/export.h) continue ;;
  esac
  if grep -nE "$pattern" "$f" | sed "s|^|$f:|"; then
    bad=1
  fi
done < <(git ls-files -z '*.c' '*.h')
if [ "$bad" -ne 0 ]; then
  echo "check-layout: OS-specific code outside posix/ and windows/ folders (above)" >&2
  exit 1
fi
echo "check-layout: OK"
