#!/usr/bin/env bash
# Stateful proxy vs Kamailio (issue 2, "Performance"): one run, same CPU pinning for both
# (server on CPU 1, SIPp UAC+UAS on CPU 0). Kept out of ctest.
# Usage: bench/proxy/run.sh [--duration S] [--only wimpu|kamailio]     Env: BUILD_DIR (default build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
cmake --build "$build_dir" --target example-proxy >/dev/null
exec python3 "$root/bench/proxy/bench.py" --proxy "$build_dir/apps/example-proxy/example-proxy" "$@"
