#!/usr/bin/env bash
# Terminating calls with forking to 2 WS contacts, wimpu vs Kamailio (issue 8, figure 4): builds
# the NFs and the load tool, then runs bench/calls/run_calls.py (see its --help). Kept out of
# ctest except for the `--quick` smoke test (label bench-smoke).
# Usage: bench/calls/run.sh [--quick] [--impus N] [--duration S] [...]   Env: BUILD_DIR (build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
cmake --build "$build_dir" -j2 --target wimpu-ep-cscf wimpu-ei-cscf wimpu-s-cscf wimpu-hss \
  wimpu-loadgen >/dev/null
exec python3 "$root/bench/calls/run_calls.py" --ep-cscf "$build_dir/nf/ep-cscf/wimpu-ep-cscf" \
  --icscf "$build_dir/nf/ei-cscf/wimpu-ei-cscf" --scscf "$build_dir/nf/s-cscf/wimpu-s-cscf" \
  --hss "$build_dir/nf/hss/wimpu-hss" --loadgen "$build_dir/bench/loadgen/wimpu-loadgen" "$@"
