#!/usr/bin/env bash
# eP-CSCF vs Kamailio as WebSocket registrars (issue 8, figures 1, 2, 3, 6): builds the eP-CSCF and
# the load tool, then runs bench/ep-cscf/run_register.py (see its --help). Kept out of ctest except
# for the `--quick` smoke test (label bench-smoke).
# Usage: bench/ep-cscf/run_register.sh [--quick] [--shards] [--idle N] [...]   Env: BUILD_DIR (build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
cmake --build "$build_dir" -j2 --target wimpu-ep-cscf wimpu-loadgen >/dev/null
exec python3 "$root/bench/ep-cscf/run_register.py" --ep-cscf "$build_dir/nf/ep-cscf/wimpu-ep-cscf" \
  --loadgen "$build_dir/bench/loadgen/wimpu-loadgen" "$@"
