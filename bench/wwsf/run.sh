#!/usr/bin/env bash
# WWSF token issuance over HTTPS keep-alive vs `openssl speed ed25519` sign rate, side by side.
# The WWSF (1 I/O thread) runs on core 1, the load client on core 0; openssl speed runs on core 1
# too, so both figures come from the same core. Usage: bench/wwsf/run.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
secs=${2:-10}
work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null
printf 'bench-pw\n' | "$build/apps/wimpuctl/wimpuctl" user --store "$work/users.json" add bench \
  --block blk.example --password-stdin

taskset -c 1 "$build/nf/wwsf/wimpu-wwsf" --port 0 --cert "$work/cert.pem" --key "$work/key.pem" \
  --users "$work/users.json" --issuer https://wwsf.bench --audience epcscf.bench \
  --block blk.example --threads 1 >"$work/wwsf.out" &
server_pid=$!
for _ in $(seq 100); do
  grep -q 'listening on' "$work/wwsf.out" 2>/dev/null && break
  sleep 0.1
done
port=$(sed -n 's/wwsf listening on \([0-9]*\)/\1/p' "$work/wwsf.out")
[ -n "$port" ] || { echo "wwsf did not start"; exit 1; }

echo "== CPU"; lscpu | grep -E 'Model name|^CPU\(s\)'
echo "== openssl speed -seconds 5 ed25519 (core 1)"
sign=$(taskset -c 1 openssl speed -seconds 5 ed25519 2>/dev/null | awk '/Ed25519/ {print $(NF-1)}')
echo "openssl ed25519 sign/s: $sign"
echo "== bench_wwsf_token (client core 0, WWSF core 1, $secs s)"
# CPU ticks the WWSF process used during the run: `openssl speed` reports signatures per CPU
# second (user time), so the like-for-like figure is tokens per WWSF CPU second. The wall-clock
# rate is printed too; it drops when other work shares the cores.
ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
t0=$(ticks)
out=$(taskset -c 0 "$build/bench/wwsf/bench_wwsf_token" --port "$port" --seconds "$secs" --connections 8)
t1=$(ticks)
echo "$out"
ok=$(echo "$out" | sed -n 's/.*tokens_ok=\([0-9]*\).*/\1/p')
rate=$(echo "$out" | sed -n 's/.*tokens_per_s=\([0-9.]*\).*/\1/p')
hz=$(getconf CLK_TCK)
awk -v ok="$ok" -v dt="$((t1 - t0))" -v hz="$hz" -v r="$rate" -v s="$sign" 'BEGIN {
  cpu = dt / hz
  printf "WWSF CPU time: %.2f s for %d tokens -> %.0f tokens per CPU second\n", cpu, ok, ok / cpu
  printf "per CPU second: token issuance / openssl sign = %.1f%% (target >= 70%%)\n", 100 * ok / cpu / s
  printf "wall clock:     token issuance / openssl sign = %.1f%%\n", 100 * r / s
}'
echo "== load: $(cat /proc/loadavg)"
