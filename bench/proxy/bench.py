#!/usr/bin/env python3
"""Stateful proxy throughput: wimpu example-proxy (1 shard) vs Kamailio (tm relay), in one run.

Both servers are pinned to CPU 1 (taskset), the SIPp UAC and UAS to CPU 0. For each server the
highest call rate (INVITE/100/180/200/ACK/BYE/200 over UDP, Record-Routed) that completes every
call with 0 failed calls is searched: the rate doubles until a step fails, then a bisection
narrows it down. Each step uses a fresh SIPp UAS, `sipp -r R -m R*duration -l limit`, and reads
SIPp's statistics CSV (FailedCall(C), SuccessfulCall(C)). Python 3 standard library only.
"""
import argparse
import csv
import datetime
import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SERVER_CPU = "1"
SIPP_CPU = "0"
# The project machine is shared (other builds and tests run beside the benchmark). Both servers
# and SIPp run under SCHED_RR priority 50 so the figure measures the proxies, not how quickly CFS
# happens to schedule them next to a dozen compilers (at nice 0 or even nice -20, wake-up delays
# of tens of ms overflowed the proxies' UDP receive buffers and a multi-process server won CPU
# shares by process count). The kernel's RT throttling still leaves 5% of each CPU to the rest.
NICE = ["chrt", "-r", "50"]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def udp_bound(port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            return e.errno == errno.EADDRINUSE
    return False


def wait_bound(proc, port, what):
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        if udp_bound(port):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not bind {port}")


def stop(proc, sig=signal.SIGTERM):
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Wimpu:
    name = "wimpu example-proxy (1 shard)"

    def __init__(self, binary, work):
        self.binary, self.work = binary, work

    def start(self, port, uas_port):
        cfg = os.path.join(self.work, "wimpu.toml")
        with open(cfg, "w") as f:
            f.write(f"""[proxy]
shards = 1
[[listeners]]
protocol = "udp"
address = "127.0.0.1"
port = {port}
[[routes]]
user = "*"
targets = ["sip:127.0.0.1:{uas_port}"]
""")
        self.cmd = NICE + ["taskset", "-c", SERVER_CPU, self.binary, "--config", cfg]
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.work, "wimpu.err"), "wb"))
        wait_bound(self.proc, port, "example-proxy")

    def stop(self):
        stop(self.proc)


class Kamailio:
    name = "Kamailio 5.6 (tm relay, bench/proxy/kamailio-relay.cfg)"

    def __init__(self, cfg, work):
        self.cfg, self.work = cfg, work

    def start(self, port, uas_port):
        rundir = os.path.join(self.work, "kamailio-run")
        os.makedirs(rundir, exist_ok=True)
        self.pidfile = os.path.join(rundir, "kamailio.pid")
        self.cmd = NICE + ["taskset", "-c", SERVER_CPU, "kamailio", "-DD", "-E", "-m", "512",
                    "-f", self.cfg, "-A", f'CALLEE_URI="sip:127.0.0.1:{uas_port}"',
                    "-l", f"udp:127.0.0.1:{port}", "-Y", rundir, "-P", self.pidfile]
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.work, "kamailio.err"), "wb"))
        wait_bound(self.proc, port, "kamailio")

    def stop(self):
        stop(self.proc)  # -DD: the process we started is the main one; it stops its children


def sipp_stats(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    head, last = rows[0], rows[-1]
    return {k: last[head.index(k)] for k in
            ("SuccessfulCall(C)", "FailedCall(C)", "Retransmissions(C)", "CallRate(C)")}


def step(server_port, uas_port, rate, args, work, log):
    """A rate passes when one of `args.attempts` runs completes every call (0 failed calls): a
    single hiccup of the shared machine must not decide the figure, for either server."""
    for attempt in range(args.attempts):
        if run_once(server_port, uas_port, rate, args, work, log):
            return True
    return False


def run_once(server_port, uas_port, rate, args, work, log):
    """One load run at `rate` calls/s. True when every call succeeded."""
    calls = int(rate * args.duration)
    tag = f"r{rate}"
    uas = subprocess.Popen(
        NICE + ["taskset", "-c", SIPP_CPU, "sipp", "-sf", os.path.join(HERE, "uas_bench.xml"),
         "-i", "127.0.0.1", "-p", str(uas_port), "-nostdin", "-buff_size", "4194304"],
        cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_bound(uas, uas_port, "sipp uas")
        stats = os.path.join(work, f"uac_{tag}.csv")
        if os.path.exists(stats):
            os.remove(stats)
        uac_cmd = NICE + ["taskset", "-c", SIPP_CPU, "sipp", "-sf",
                   os.path.join(HERE, "uac_bench.xml"),
                   "-s", "bench", "-i", "127.0.0.1", "-p", str(free_port()),
                   f"127.0.0.1:{server_port}", "-r", str(rate), "-m", str(calls),
                   "-l", str(max(rate * 4, 100)), "-nostdin", "-buff_size", "4194304",
                   "-trace_stat", "-stf", stats, "-fd", "1",
                   "-timeout", f"{int(args.duration * 3 + 30)}s", "-timeout_error"]
        t0 = time.monotonic()
        rc = subprocess.run(uac_cmd, cwd=work, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL).returncode
        elapsed = time.monotonic() - t0
        s = sipp_stats(stats) if os.path.exists(stats) else {}
        ok = (rc == 0 and s.get("FailedCall(C)") == "0"
              and int(s.get("SuccessfulCall(C)", "0")) == calls)
        line = (f"  rate {rate:6d}/s calls {calls:7d}: {'ok  ' if ok else 'FAIL'} rc={rc} "
                f"successful={s.get('SuccessfulCall(C)')} failed={s.get('FailedCall(C)')} "
                f"retrans={s.get('Retransmissions(C)')} elapsed={elapsed:.1f}s")
        print(line, flush=True)
        log.write(line + "\n")
        return ok
    finally:
        stop(uas, signal.SIGKILL)


def search(server, args, work, log):
    port, uas_port = free_port(), free_port()
    server.start(port, uas_port)
    header = f"{server.name}: {' '.join(server.cmd)}"
    print(header, flush=True)
    log.write(header + "\n")
    try:
        good, bad, rate = 0, None, args.start
        while rate <= args.max_rate:
            if step(port, uas_port, rate, args, work, log):
                good, rate = rate, rate * 2
            else:
                bad = rate
                break
        if bad is None:
            return good
        while bad - good > max(50, good * args.resolution):
            mid = (good + bad) // 2 // 50 * 50 or (good + bad) // 2
            if mid in (good, bad):
                break
            if step(port, uas_port, mid, args, work, log):
                good = mid
            else:
                bad = mid
        return good
    finally:
        server.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", default=os.path.join(ROOT, "build/apps/example-proxy/example-proxy"))
    ap.add_argument("--kamailio-cfg", default=os.path.join(HERE, "kamailio-relay.cfg"))
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of load per step")
    ap.add_argument("--start", type=int, default=500)
    ap.add_argument("--max-rate", type=int, default=64000)
    ap.add_argument("--resolution", type=float, default=0.05)
    ap.add_argument("--attempts", type=int, default=2, help="runs per rate before it fails")
    ap.add_argument("--only", choices=["wimpu", "kamailio"])
    args = ap.parse_args()
    for tool in ("sipp", "kamailio", "taskset"):
        if shutil.which(tool) is None:
            print(f"{tool} not found: run scripts/setup bench")
            return 1
    work = tempfile.mkdtemp(prefix="bench_proxy_")
    log_path = os.path.join(work, "steps.log")
    results = {}
    with open(log_path, "w") as log:
        servers = [("wimpu", Wimpu(os.path.abspath(args.proxy), work)),
                   ("kamailio", Kamailio(os.path.abspath(args.kamailio_cfg), work))]
        for key, server in servers:
            if args.only and key != args.only:
                continue
            results[key] = search(server, args, work, log)
            print(f"=> {server.name}: {results[key]} calls/s with 0 failed calls", flush=True)
    cpu = subprocess.run(["sh", "-c", "lscpu | grep 'Model name' | sed 's/.*: *//'"],
                         capture_output=True, text=True).stdout.strip()
    print(f"\nwhen: {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"cpu: {cpu}, nproc {os.cpu_count()}, load average {os.getloadavg()}")
    for k, v in results.items():
        print(f"{k}: {v} calls/s")
    if "wimpu" in results and results.get("kamailio"):
        print(f"ratio wimpu/kamailio: {results['wimpu'] / results['kamailio']:.2f}")
    print(f"step log: {log_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
