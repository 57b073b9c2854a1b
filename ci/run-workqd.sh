#!/usr/bin/env bash
# ci/run-workqd.sh — install what is missing, build workqd, and run it in the
# foreground on its default endpoint (Ctrl-C stops it). Arguments are passed
# to workqd, e.g. `ci/run-workqd.sh --log-level debug`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# shellcheck source=ci/lib.sh
. ci/lib.sh
need_packages cmake make gcc pkg-config libbsd-dev
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
echo "workqd and workqctl are in $root/build/release/" >&2
exec "$root/build/release/workqd" "$@"
