#!/usr/bin/env python3
"""eP-CSCF vs Kamailio as WebSocket registrars (issue 8, figures 1, 2, 3 and 6), in one run.

Every server is pinned to CPU 1 (taskset) and every load process (wimpu-loadgen, and redis-server
for the redis case) to CPU 0, all under `chrt -r 50` (as bench/proxy/bench.py: the machine is
shared with compilers, and SCHED_RR keeps their noise out of both servers alike). `openssl speed`
runs on CPU 1 with the same priority in the same run, so the ratio of figure 1 is like for like.

Figures (each measurement repeated --repeat times, the median reported, `uptime` beside it):
  1  initial registrations, a fresh signed token and a new web identity (IMPU allocation) per
     REGISTER, closed loop: rate vs `openssl speed` verify/s of the algorithm (memory and redis
     registrar); Kamailio auth_ephemeral (every REGISTER challenged; and with nonce reuse) beside.
  2  re-registrations on the same flow with the same token (token cache hit), closed loop: rate vs
     Kamailio's unauthenticated WS REGISTER rate; then a fixed rate at 50% of the eP-CSCF's maximum
     and its p99 (from the intended send time).
  3  (--idle N) N idle registered WS and WSS connections held by several load processes: server
     memory per connection (PSS summed over the server's processes, and RSS) vs Kamailio. Only
     127.0.0.1 is used (project rule: 127.0.0.1 and ::1, never another address): past ~28,000
     connections, the limit of one (source address, destination address:port) pair's ephemeral
     ports, the servers listen on several ports (--idle-ports) and one load invocation targets
     each, so every pair has its own ephemeral-port space.
  6  (--shards) the figure-1 and figure-2 closed-loop rates with 1 and 2 shards (2 shards pinned
     to CPUs 0-1 then, beside the load tool: see the printed note).
  5' (--bindings N) memory per binding: N registered UAs (a distinct AOR / web identity each,
     hence N bindings) over N / --bindings-per-conn WS connections, eP-CSCF (memory registrar,
     growing on demand) vs Kamailio (usrloc in shared memory): server memory (PSS) after minus
     before, over N. The connections' own memory is in it (figure 3's per-connection cost over
     --bindings-per-conn UAs: ~5 bytes per binding for the eP-CSCF, ~70 for Kamailio at 1,000).

Python 3 standard library only; starts and stops (by PID) everything it uses.
"""
import argparse
import base64
import ctypes
import datetime
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SERVER_CPU = "1"
TOOL_CPU = "0"
NICE = ["chrt", "-r", "50"]
DOMAIN = "wimpu.example"
REALM = "ims.example"
ISSUER = "https://wwsf.example"
ORIGIN = "https://wwsf.example"
BLOCK = "blk1"
KAM_DOMAIN = "kam.test"
AUTHEPH_SECRET = "s3cret"


def log(*a):
    print(*a, flush=True)


def uptime():
    return "load average " + " ".join(open("/proc/loadavg").read().split()[:3])


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(proc, port, what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port}")


def stop(proc, sig=signal.SIGTERM, timeout=20):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def child_setup():
    """Child pre-exec for every server and load process the benchmarks start: open-files soft limit = hard limit
    (20,000 per process here), and SIGKILL when the script dies (a ctest timeout or a Ctrl-C
    must not leave them behind; chrt and taskset exec the server, which keeps the setting)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def children_of(pid):
    """PIDs of `pid` and all its descendants (Kamailio forks its workers)."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    parent[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(c for c, pp in parent.items() if pp == p)
    return out


def cpu_seconds(pids):
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        except OSError:
            pass
    return total


def memory_kib(pids):
    """(PSS, RSS) in KiB summed over `pids` (smaps_rollup)."""
    pss = rss = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1])
        except OSError:
            pass
    return pss, rss


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_key(work, alg):
    """Signing key (PEM) for the load tool and the JWKS of its public key for the eP-CSCF."""
    pem = os.path.join(work, f"issuer-{alg}.pem")
    if alg == "EdDSA":
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", pem], check=True)
    else:
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-out", pem], check=True)
    der = subprocess.run(["openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    if alg == "EdDSA":  # SubjectPublicKeyInfo ends with the 32-byte key (RFC 8410)
        jwk = {"kty": "OKP", "crv": "Ed25519", "kid": "k1", "x": b64url(der[-32:])}
    else:  # ... ends with the uncompressed point 04 || X || Y (RFC 5480)
        pt = der[-65:]
        jwk = {"kty": "EC", "crv": "P-256", "kid": "k1", "x": b64url(pt[1:33]),
               "y": b64url(pt[33:])}
    return pem, json.dumps({"keys": [jwk]})


def make_cert(work):
    crt, key = os.path.join(work, "server.crt"), os.path.join(work, "server.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-keyout", key, "-out", crt], check=True, capture_output=True)
    return crt, key


def openssl_verify_rate(alg, seconds):
    """Verifies per second from `openssl speed` on the server CPU, same priority as the servers."""
    what, pat = (("ed25519", r"EdDSA \(Ed25519\)") if alg == "EdDSA"
                 else ("ecdsap256", r"ecdsa \(nistp256\)"))
    out = subprocess.run(NICE + ["taskset", "-c", SERVER_CPU, "openssl", "speed", "-seconds",
                                 str(seconds), what], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if re.search(pat, line):
            return float(line.split()[-1])
    raise RuntimeError("openssl speed: no verify figure in\n" + out)


class EpCscf:
    def __init__(self, binary, work, jwks, alg, shards=1, registrar="memory", redis_port=0,
                 wss=None, max_connections=10000, listen_ports=1, preallocate=0):
        self.binary, self.work, self.jwks, self.alg = binary, work, jwks, alg
        self.max_connections, self.listen_ports = max_connections, listen_ports
        self.preallocate = preallocate if registrar == "memory" else 0
        self.shards, self.registrar, self.redis_port, self.wss = shards, registrar, redis_port, wss
        self.name = f"eP-CSCF ({shards} shard{'s' if shards > 1 else ''}, {registrar} registrar)"

    def start(self):
        # --idle-ports: one WS (and WSS) listener per port, all on 127.0.0.1.
        self.ports = [free_port() for _ in range(self.listen_ports)]
        self.wss_ports = [free_port() for _ in range(self.listen_ports)] if self.wss else []
        self.port = self.ports[0]
        cfg = os.path.join(self.work, "ep-cscf.toml")
        listeners = ""
        for port in self.ports:
            listeners += f"""[[listeners]]
protocol = "ws"
address = "127.0.0.1"
port = {port}
max_connections = {self.max_connections}
"""
        for port in self.wss_ports:
            listeners += f"""[[listeners]]
protocol = "wss"
address = "127.0.0.1"
port = {port}
cert_file = "{self.wss[0]}"
key_file = "{self.wss[1]}"
max_connections = {self.max_connections}
"""
        with open(cfg, "w") as f:
            f.write(f"""[ep_cscf]
realm = "{REALM}"
allowed_origins = ["{ORIGIN}"]
{listeners}
[proxy]
shards = {self.shards}
expected_transactions = 65536
[registrar]
backend = "{self.registrar}"
host = "127.0.0.1"
port = {self.redis_port or 6379}
{f"preallocate_impus = {self.preallocate}" if self.preallocate else ""}
[[domains]]
domain = "{DOMAIN}"
authz_server = "{ISSUER}/api/token"
[domains.block]
id = "{BLOCK}"
range_first = "+10000000000"
range_last = "+10099999999"
quarantine_s = 60
[[domains.issuers]]
issuer = "{ISSUER}"
algorithm = "{self.alg}"
jwks = '{self.jwks}'
""")
        cpus = SERVER_CPU if self.shards == 1 else f"{TOOL_CPU},{SERVER_CPU}"
        self.cmd = NICE + ["taskset", "-c", cpus, self.binary, "--config", cfg]
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.work, "ep-cscf.err"), "ab"),
                                     preexec_fn=child_setup)
        for port in self.ports + self.wss_ports:
            wait_listening(self.proc, port, "wimpu-ep-cscf")

    def pids(self):
        return [self.proc.pid]

    def url(self, tls=False, i=0):
        return (f"wss://127.0.0.1:{self.wss_ports[i]}/" if tls
                else f"ws://127.0.0.1:{self.ports[i]}/")

    def load_args(self, key_pem, fresh):
        a = ["--origin", ORIGIN, "--domain", DOMAIN, "--token-key", key_pem, "--token-kid", "k1",
             "--token-iss", ISSUER, "--token-aud", REALM, "--token-block", BLOCK]
        if fresh:
            a += ["--token-fresh", "--sub", "per-request"]
        return a

    def stop(self):
        stop(self.proc, signal.SIGINT)


class Kamailio:
    def __init__(self, cfg, work, autheph=False, tls=None, shm_mb=512, listen_ports=1):
        self.cfg, self.work, self.autheph, self.tls, self.shm_mb = cfg, work, autheph, tls, shm_mb
        self.listen_ports = listen_ports
        self.name = "Kamailio 5.6 (" + ("auth_ephemeral" if autheph else "no auth") + ")"

    def start(self):
        self.ports = [free_port() for _ in range(self.listen_ports)]
        self.tls_ports = [free_port() for _ in range(self.listen_ports)] if self.tls else []
        self.port = self.ports[0]
        rundir = tempfile.mkdtemp(prefix="kam-", dir=self.work)
        self.cmd = NICE + ["taskset", "-c", SERVER_CPU, "kamailio", "-DD", "-E", "-f", self.cfg]
        for port in self.ports:
            self.cmd += ["-l", f"tcp:127.0.0.1:{port}"]
        self.cmd += ["-m", str(self.shm_mb), "-M", "16",
                     "-Y", rundir, "-w", rundir, "-P", os.path.join(rundir, "kam.pid")]
        if self.autheph:
            self.cmd += ["-A", "WITH_AUTHEPH", "-A", f'AUTHEPH_SECRET="{AUTHEPH_SECRET}"']
        if self.tls:
            tls_cfg = os.path.join(rundir, "tls.cfg")
            with open(tls_cfg, "w") as f:
                f.write(f"[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\n"
                        f"require_certificate = no\ncertificate = {self.tls[0]}\n"
                        f"private_key = {self.tls[1]}\n")
            self.cmd += ["-A", "WITH_TLS", "-A", f'TLS_CFG="{tls_cfg}"']
            for port in self.tls_ports:
                self.cmd += ["-l", f"tls:127.0.0.1:{port}"]
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.work, "kamailio.err"), "ab"),
                                     preexec_fn=child_setup)
        for port in self.ports + self.tls_ports:
            wait_listening(self.proc, port, "kamailio")

    def pids(self):
        return children_of(self.proc.pid)

    def url(self, tls=False, i=0):
        return (f"wss://127.0.0.1:{self.tls_ports[i]}/" if tls
                else f"ws://127.0.0.1:{self.ports[i]}/")

    def load_args(self, key_pem, fresh, reuse_nonce=False):
        a = ["--domain", KAM_DOMAIN, "--aor", f"sip:user{{n}}@{KAM_DOMAIN}"]
        if self.autheph:
            a += ["--digest-ephemeral", AUTHEPH_SECRET]
            if reuse_nonce:
                a += ["--digest-reuse-nonce"]
        return a

    def stop(self):
        stop(self.proc)  # -DD: the main process stops its children


class NullPeer:
    """wimpu-loadgen-null on the server CPU: a registrar that costs almost nothing, so the closed
    loop of figure 2 against it measures the load tool's own capacity (--tool-capacity)."""

    name = "null registrar peer (wimpu-loadgen-null)"

    def __init__(self, binary, work, write_per_answer=False):
        self.binary, self.work, self.write_per_answer = binary, work, write_per_answer
        if write_per_answer:
            self.name = "null registrar peer, one write per answer (wimpu-loadgen-null)"

    def start(self):
        self.cmd = NICE + ["taskset", "-c", SERVER_CPU, self.binary]
        if self.write_per_answer:
            self.cmd.append("--write-per-answer")
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, text=True,
                                     stderr=open(os.path.join(self.work, "null.err"), "ab"),
                                     preexec_fn=child_setup)
        self._url = self.proc.stdout.readline().strip()
        if not self._url.startswith("ws://"):
            raise RuntimeError(f"wimpu-loadgen-null printed {self._url!r}")

    def pids(self):
        return [self.proc.pid]

    def url(self, tls=False, i=0):
        return self._url

    def load_args(self, key_pem, fresh):
        return ["--domain", "null.test"]

    def stop(self):
        stop(self.proc, signal.SIGINT)
        self.counts = self.proc.stdout.read().strip()


class Redis:
    def __init__(self, work):
        self.work = work

    def start(self):
        self.port = free_port()
        self.cmd = NICE + ["taskset", "-c", TOOL_CPU, "redis-server", "--port", str(self.port),
                           "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                           "--dir", self.work]
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=child_setup)
        wait_listening(self.proc, self.port, "redis-server")

    def stop(self):
        stop(self.proc)


class Load:
    """wimpu-loadgen on the tool CPU."""

    def __init__(self, binary, args):
        self.binary, self.args = binary, args

    def cmd(self, mode, server, extra, tls=False, port_index=0):
        # Closed-loop REGISTER load busy-polls --spin-us before sleeping: on loopback every send
        # to a sleeping tool costs the server a wake-up on its own CPU (session 5: ~28% of the
        # eP-CSCF's figure 2). The tool reports that spin apart ("busy" CPU). Not at a fixed
        # rate: a spinning SCHED_RR tool at ~95% of its CPU gets RT-throttled (50 ms per second
        # by default), which would show up as tens of ms of p99 latency.
        spin = (["--spin-us", str(self.args.spin_us)]
                if mode == "register" and self.args.spin_us > 0 and "--rate" not in extra
                else [])
        return (NICE + ["taskset", "-c", TOOL_CPU, self.binary, mode, "--url",
                        server.url(tls, port_index)] + extra + spin + ["--json", "-q"])

    def register(self, server, extra, what):
        """One register run; returns (json report, server CPU share over the run)."""
        cmd = self.cmd("register", server, extra)
        pids = server.pids()
        perf = None
        if self.args.perf and isinstance(server, EpCscf):
            # Profile the server over the measurement window (after the warm-up). perf runs on the
            # tool's CPU at a higher SCHED_RR priority than the two benchmark processes: at the
            # same or no priority it got no CPU to drain its buffers beside two busy-polling
            # SCHED_RR processes and recorded nothing (RESULTS.md Run 5).
            os.makedirs(self.args.perf, exist_ok=True)
            out = os.path.join(self.args.perf, re.sub(r"[^a-z0-9]+", "_", what.lower()) + ".data")
            rt = "chrt -r 60 " if NICE else ""  # --no-rt: no real-time rights
            perf = subprocess.Popen(["sh", "-c", f"sleep {self.args.warmup}; exec {rt}"
                                     f"taskset -c {TOOL_CPU} perf record -q "
                                     f"-F {self.args.perf_freq} --call-graph {self.args.perf_call_graph} "
                                     f"-p {server.proc.pid} -o {out} -- sleep "
                                     f"{self.args.duration * 0.9}"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        c0, t0 = cpu_seconds(pids), time.monotonic()
        p = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=child_setup)
        c1, t1 = cpu_seconds(pids), time.monotonic()
        if perf is not None:
            perf.wait()
        if p.returncode not in (0, 1) or not p.stdout.strip():
            raise RuntimeError(f"{what}: wimpu-loadgen rc={p.returncode}\n{' '.join(cmd)}\n"
                               f"{p.stderr[-2000:]}")
        r = json.loads(p.stdout)
        r["_server_cpu"] = (c1 - c0) / max(t1 - t0, 1e-9)
        r["_cmd"] = cmd
        r["_load"] = uptime()
        return r


def fmt_run(r):
    lat = r["latency"]
    errs = {k: v for k, v in r.get("errors", {}).items() if v}
    # The tool's own cost: CPU-ms per 1,000 REGISTERs and WebSocket frames per socket write/read
    # (its write coalescing), so a line shows whether the tool was near its limit.
    io = r.get("ws_io") or {}
    cost = ""
    if "ms_per_1000" in r["cpu"]:
        cost = f" ({r['cpu']['ms_per_1000']:.2f} ms/1000"
        if r["cpu"].get("idle_spin_s"):
            cost += (f"; busy {100 * r['cpu']['cores_busy']:.0f}%, "
                     f"{r['cpu']['busy_ms_per_1000']:.2f} ms/1000")
        if io.get("writes") and io.get("reads"):
            cost += (f", {io['frames_out'] / io['writes']:.2f} frames/write, "
                     f"{io['frames_in'] / io['reads']:.2f} frames/read")
        cost += ")"
    return (f"{r['rate_ok']:9.0f}/s ok  p50 {lat['p50_us']:.0f} us p99 {lat['p99_us']:.0f} us "
            f"p99.9 {lat['p99.9_us']:.0f} us  errors {errs or 'none'}  "
            f"server cpu {100 * r['_server_cpu']:.0f}%  tool cpu "
            f"{100 * r['cpu']['cores_used']:.0f}%{cost}  [{r['_load']}]")


def median_run(load, server, extra, what, repeat):
    runs = []
    for i in range(repeat):
        r = load.register(server, extra, what)
        log(f"    {what} #{i + 1}: {fmt_run(r)}")
        runs.append(r)
    runs.sort(key=lambda r: r["rate_ok"])
    return runs[len(runs) // 2]


def with_server(server, fn):
    server.start()
    log(f"  {server.name}: {' '.join(server.cmd)}")
    try:
        return fn(server)
    finally:
        server.stop()


def register_figures(args, work, load, key_pem, jwks, results):
    win = ["--warmup", str(args.warmup), "-d", str(args.duration)]
    closed = ["-c", str(args.connections), "-u", str(args.ua)] + win
    # Fresh tokens: minting costs the tool ~25 us each (its CPU share is in every line).
    fresh = closed

    verify = openssl_verify_rate(args.alg, args.openssl_seconds)
    results["openssl_verify"] = verify
    log(f"openssl speed {args.alg} verify on CPU {SERVER_CPU}: {verify:,.0f}/s  [{uptime()}]")

    shard_counts = [1, 2] if args.shards else [1]
    for shards in shard_counts:
        def ep_run(s, shards=shards):
            f1 = median_run(load, s, s.load_args(key_pem, True) + fresh, "fig1 fresh token",
                            args.repeat)
            f2 = median_run(load, s, s.load_args(key_pem, False) + closed, "fig2 cached token",
                            args.repeat)
            out = {"fig1": f1, "fig2": f2}
            if shards == 1:
                half = max(int(f2["rate_ok"] / 2), 100)
                fixed = ["-c", str(args.connections), "-u", str(args.ua), "--rate", str(half)] + win
                out["fig2_half"] = median_run(load, s, s.load_args(key_pem, False) + fixed,
                                              f"fig2 fixed {half}/s", args.repeat)
            return out
        results[f"ep_{shards}"] = with_server(
            EpCscf(args.ep_cscf, work, jwks, args.alg, shards=shards,
                   preallocate=args.preallocate), ep_run)

    if not args.no_redis:
        redis = Redis(work)
        redis.start()
        log(f"  redis-server: {' '.join(redis.cmd)}")
        try:
            results["ep_redis"] = with_server(
                EpCscf(args.ep_cscf, work, jwks, args.alg, registrar="redis",
                       redis_port=redis.port),
                lambda s: {"fig1": median_run(load, s, s.load_args(key_pem, True) + fresh,
                                              "fig1 fresh token (redis)", args.repeat)})
        finally:
            redis.stop()

    if args.tool_capacity:
        results["tool_capacity"] = with_server(
            NullPeer(args.null_peer, work),
            lambda s: median_run(load, s, s.load_args(None, False) + closed,
                                 "tool capacity (null peer)", args.repeat))
        # The same against a peer that, like a server without write coalescing, writes each
        # answer by itself.
        results["tool_capacity_single"] = with_server(
            NullPeer(args.null_peer, work, write_per_answer=True),
            lambda s: median_run(load, s, s.load_args(None, False) + closed,
                                 "tool capacity (null peer, one write per answer)", args.repeat))

    if not args.no_kamailio:
        kcfg = os.path.abspath(args.kamailio_cfg)
        results["kam_noauth"] = with_server(
            Kamailio(kcfg, work),
            lambda s: median_run(load, s, s.load_args(None, False) + closed,
                                 "kamailio no auth", args.repeat))

        def kam_eph(s):
            return {"challenged": median_run(load, s, s.load_args(None, True) + closed,
                                             "kamailio auth_ephemeral, every REGISTER challenged",
                                             args.repeat),
                    "reuse": median_run(load, s, s.load_args(None, True, True) + closed,
                                        "kamailio auth_ephemeral, nonce reuse", args.repeat)}
        results["kam_eph"] = with_server(Kamailio(kcfg, work, autheph=True), kam_eph)


# Ephemeral ports toward one (address, port): Linux's default ip_local_port_range 32768-60999
# gives 28,232; leave headroom.
PER_PORT = 25000


def idle_figure(args, work, load, key_pem, jwks, cert, results):
    n = args.idle
    # Each listener port is its own (source, destination) 4-tuple space on 127.0.0.1.
    ports = args.idle_ports or max(1, -(-n // PER_PORT))
    for tls in (False, True):
        scheme = "wss" if tls else "ws"
        # Every connection held must be accepted (the listener's cap defaults to 10,000).
        servers = [EpCscf(args.ep_cscf, work, jwks, args.alg, wss=cert,
                          max_connections=max(10000, n + 1000), listen_ports=ports)]
        if not args.no_kamailio:
            servers.append(Kamailio(os.path.abspath(args.kamailio_cfg), work, tls=cert,
                                    shm_mb=args.kamailio_shm, listen_ports=ports))
        for server in servers:
            def hold(s):
                cmds = []
                base = 0
                for i in range(ports):
                    share = n // ports + (1 if i < n % ports else 0)
                    if share == 0:
                        continue
                    procs = max(1, -(-share // 15000))
                    if args.idle_processes:  # split the requested total over the ports
                        procs = max(1, args.idle_processes // ports +
                                    (1 if i < args.idle_processes % ports else 0))
                    extra = (s.load_args(key_pem, False) if isinstance(s, EpCscf)
                             else s.load_args(None, False))
                    extra += ["-c", str(share), "-P", str(procs), "--connect-rate",
                              str(max(1, args.connect_rate // ports)), "--expires", "3600",
                              "--report-interval", "1"]
                    if i > 0:
                        # Distinct UAs (token subject, AOR) over the invocations.
                        extra += ["--index-base", str(base)]
                    base += share
                    if tls:
                        extra += ["--insecure"]
                    cmds.append([c for c in load.cmd("idle", s, extra, tls, i) if c != "-q"])
                return idle_run(s, cmds, n, tls)
            key = ("ep" if isinstance(server, EpCscf) else "kam") + "_" + scheme
            results[key] = with_server(server, hold)


def bindings_figure(args, work, load, key_pem, jwks, results):
    """Memory per binding: many registered UAs on few idle WS connections (see the docstring)."""
    n, per = args.bindings, max(1, args.bindings_per_conn)
    conns = -(-n // per)
    servers = [EpCscf(args.ep_cscf, work, jwks, args.alg, max_connections=max(10000, conns + 100),
                      preallocate=0)]
    if not args.no_kamailio:
        servers.append(Kamailio(os.path.abspath(args.kamailio_cfg), work,
                                shm_mb=args.kamailio_shm))
    for server in servers:
        def hold(s):
            extra = (s.load_args(key_pem, False) if isinstance(s, EpCscf)
                     else s.load_args(None, False))
            extra += ["-c", str(conns), "-u", str(per), "--connect-rate",
                      str(args.connect_rate), "--expires", "3600", "--report-interval", "1"]
            return idle_run(s, [[c for c in load.cmd("idle", s, extra) if c != "-q"]],
                            conns * per, False, unit="binding")
        results["bind_" + ("ep" if isinstance(server, EpCscf) else "kam")] = with_server(server,
                                                                                         hold)


def idle_run(server, cmds, n, tls, unit="conn"):
    time.sleep(1)  # let the server settle after start before the baseline
    pids = server.pids()
    base = memory_kib(pids)
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              preexec_fn=child_setup) for cmd in cmds]
    registered = {}
    lock = threading.Lock()
    done = threading.Event()
    pat = re.compile(r"(?:\[(\d+)\] )?t=\S+ established=(\d+) registered=(\d+)")

    def reader(k, p):
        for line in p.stderr:
            m = pat.search(line)
            if m:
                with lock:
                    registered[(k, m.group(1) or "0")] = int(m.group(3))
                    # The figure uses what the server held (e.g. a server refusing upgrades).
                    if sum(registered.values()) >= n:
                        done.set()
    for k, p in enumerate(procs):
        threading.Thread(target=reader, args=(k, p), daemon=True).start()
    t0 = time.monotonic()
    ok = done.wait(timeout=max(120, 4 * n / 1000))
    ramp = time.monotonic() - t0
    time.sleep(3)  # settle: registrations written, buffers shrunk
    pids = server.pids()
    mem = memory_kib(pids)
    with lock:
        held = sum(registered.values())
    for p in procs:
        p.send_signal(signal.SIGINT)
    reports = []
    for p in procs:
        out, _ = p.communicate(timeout=60)
        try:
            reports.append(json.loads(out))
        except ValueError:
            reports.append(None)
    r = {"n": n, "held": held, "all_registered": ok, "ramp_s": ramp, "base": base, "mem": mem,
         "processes": len(pids), "cmd": cmds[0], "cmds": cmds, "load": uptime(),
         "report": reports[0] if len(reports) == 1 else reports}
    d_pss, d_rss = mem[0] - base[0], mem[1] - base[1]
    r["pss_per_conn_kib"] = d_pss / max(held, 1)
    r["rss_per_conn_kib"] = d_rss / max(held, 1)
    log(f"    {server.name} {'wss' if tls else 'ws'}: {held}/{n} registered in {ramp:.1f} s "
        f"over {len(cmds)} listener port(s); "
        f"PSS {base[0] / 1024:.1f} -> {mem[0] / 1024:.1f} MiB ({r['pss_per_conn_kib']:.2f} KiB/{unit}), "
        f"RSS {base[1] / 1024:.1f} -> {mem[1] / 1024:.1f} MiB ({r['rss_per_conn_kib']:.2f} KiB/{unit}), "
        f"{len(pids)} process(es)  [{r['load']}]")
    return r


def summary(args, results):
    log("\n==== summary ====")
    log(f"when: {datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}")
    cpu = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"],
                         capture_output=True, text=True).stdout.strip()
    log(f"cpu: {cpu}, nproc {os.cpu_count()}, {uptime()}")
    v = results.get("openssl_verify")
    ep = results.get("ep_1")
    if ep and v:
        r = ep["fig1"]
        log(f"fig1 eP-CSCF memory, fresh {args.alg} token: {r['rate_ok']:,.0f}/s = "
            f"{100 * r['rate_ok'] / v:.1f}% of openssl verify {v:,.0f}/s (target >= 85%); "
            f"per server CPU-second {r['rate_ok'] / max(r['_server_cpu'], 1e-9):,.0f}/s = "
            f"{100 * r['rate_ok'] / max(r['_server_cpu'], 1e-9) / v:.1f}%")
    if results.get("ep_redis") and v:
        r = results["ep_redis"]["fig1"]
        log(f"fig1 eP-CSCF redis,  fresh {args.alg} token: {r['rate_ok']:,.0f}/s = "
            f"{100 * r['rate_ok'] / v:.1f}% of openssl verify (target >= 75%)")
    if results.get("kam_eph"):
        k = results["kam_eph"]
        log(f"fig1 Kamailio auth_ephemeral: {k['challenged']['rate_ok']:,.0f}/s every REGISTER "
            f"challenged, {k['reuse']['rate_ok']:,.0f}/s with nonce reuse")
    if ep:
        r = ep["fig2"]
        line = f"fig2 eP-CSCF cached token: {r['rate_ok']:,.0f}/s"
        if results.get("kam_noauth"):
            k = results["kam_noauth"]["rate_ok"]
            line += f" vs Kamailio no auth {k:,.0f}/s = {r['rate_ok'] / k:.2f}x (target >= 3x)"
        log(line)
        h = ep.get("fig2_half")
        if h:
            log(f"fig2 at {h['target_rate']:.0f}/s (50% of max): p99 {h['latency']['p99_us']:.0f} us "
                f"(target < 2000 us), p99.9 {h['latency']['p99.9_us']:.0f} us, "
                f"{h['rate_ok']:,.0f}/s done")
    for key, what in (("tool_capacity", ""), ("tool_capacity_single", ", one write per answer")):
        r = results.get(key)
        if r:
            log(f"load tool capacity (figure 2 load against wimpu-loadgen-null{what}): "
                f"{r['rate_ok']:,.0f}/s at {100 * r['cpu']['cores_used']:.0f}% of CPU {TOOL_CPU}"
                + (f", {r['cpu']['ms_per_1000']:.2f} CPU-ms per 1,000 REGISTERs"
                   if "ms_per_1000" in r["cpu"] else ""))
    if results.get("ep_2") and ep:
        for f in ("fig1", "fig2"):
            a, b = ep[f]["rate_ok"], results["ep_2"][f]["rate_ok"]
            log(f"fig6 {f}: 1 shard {a:,.0f}/s, 2 shards {b:,.0f}/s, ratio {b / a:.2f}")
    for scheme in ("ws", "wss"):
        e, k = results.get(f"ep_{scheme}"), results.get(f"kam_{scheme}")
        if e:
            line = (f"fig3 {scheme}: eP-CSCF {e['held']} connections, "
                    f"{e['pss_per_conn_kib']:.2f} KiB PSS/conn (RSS {e['rss_per_conn_kib']:.2f}) "
                    f"(target <= 8 KiB)")
            if k:
                line += (f"; Kamailio {k['held']} connections, {k['pss_per_conn_kib']:.2f} KiB "
                         f"PSS/conn over {k['processes']} processes (RSS sum "
                         f"{k['rss_per_conn_kib']:.2f})")
            log(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ep-cscf", default=os.path.join(ROOT, "build/nf/ep-cscf/wimpu-ep-cscf"))
    ap.add_argument("--loadgen", default=os.path.join(ROOT, "build/bench/loadgen/wimpu-loadgen"))
    ap.add_argument("--null-peer",
                    default=os.path.join(ROOT, "build/bench/loadgen/wimpu-loadgen-null"))
    ap.add_argument("--spin-us", type=int, default=50,
                    help="wimpu-loadgen register --spin-us for closed-loop runs (busy-poll "
                         "before sleeping; 0: off)")
    ap.add_argument("--tool-capacity", action="store_true",
                    help="also run figure 2's closed loop against wimpu-loadgen-null on the "
                         "server CPU: the load tool's own maximum rate and CPU per REGISTER")
    ap.add_argument("--kamailio-cfg",
                    default=os.path.join(ROOT, "bench/loadgen/kamailio-ws-registrar.cfg"))
    ap.add_argument("--alg", choices=["EdDSA", "ES256"], default="EdDSA")
    ap.add_argument("--duration", type=float, default=10.0, help="measurement window, s")
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure; median reported")
    ap.add_argument("-c", "--connections", type=int, default=50)
    ap.add_argument("-u", "--ua", type=int, default=4, help="UAs (REGISTERs in flight) per conn")
    ap.add_argument("--openssl-seconds", type=int, default=5)
    ap.add_argument("--no-register", action="store_true", help="skip figures 1, 2 and 6")
    ap.add_argument("--shards", action="store_true", help="figure 6: also run 2 shards")
    ap.add_argument("--no-redis", action="store_true")
    ap.add_argument("--no-kamailio", action="store_true")
    ap.add_argument("--idle", type=int, default=0, help="figure 3: idle connections (0: skip)")
    ap.add_argument("--idle-processes", type=int, default=0,
                    help="load processes for --idle (default: one per 15,000 connections)")
    ap.add_argument("--connect-rate", type=int, default=2000)
    ap.add_argument("--idle-ports", type=int, default=0,
                    help="--idle: listener ports per protocol on 127.0.0.1, one load invocation "
                    "each (default: one per 25,000 connections; each (source, destination) pair "
                    "has ~28k ephemeral ports)")
    ap.add_argument("--kamailio-shm", type=int, default=2048, help="MiB, idle runs")
    ap.add_argument("--bindings", type=int, default=0,
                    help="memory per binding: registered UAs held (0: skip)")
    ap.add_argument("--bindings-per-conn", type=int, default=1000,
                    help="--bindings: registered UAs per WS connection")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 1 s windows, 1 repeat, short openssl speed")
    ap.add_argument("--perf", metavar="DIR",
                    help="perf record -g the eP-CSCF during each of its runs (DIR/<run>.data)")
    ap.add_argument("--perf-call-graph", default="fp", metavar="MODE",
                    help="--perf: perf record --call-graph MODE (fp; dwarf attributes samples "
                         "through code built without frame pointers, at a higher cost)")
    ap.add_argument("--perf-freq", type=int, default=1999, help="--perf: samples/s")
    ap.add_argument("--preallocate", type=int, default=None, metavar="N",
                    help="figures 1, 2, 6 with the memory registrar: [registrar] "
                         "preallocate_impus = N (slots allocated and touched at start, ~450 MiB "
                         "per million; 0: grow on demand, as before session 5; default 1000000, "
                         "0 with --quick)")
    ap.add_argument("--no-rt", action="store_true",
                    help="no chrt (ctest smoke run without real-time rights)")
    ap.add_argument("--json-out", help="write every run's report here")
    args = ap.parse_args()
    if args.no_rt:
        NICE.clear()
    if args.quick:
        args.duration, args.warmup, args.repeat, args.openssl_seconds = 1.0, 0.3, 1, 1
        args.connections, args.ua = 4, 2
    if args.preallocate is None:
        args.preallocate = 0 if args.quick else 1_000_000
    tools = ["openssl", "taskset"] + ([] if args.no_rt else ["chrt"])
    tools += [] if args.no_kamailio else ["kamailio"]
    tools += [] if args.no_redis or args.no_register else ["redis-server"]
    for tool in tools:
        if shutil.which(tool) is None:
            log(f"{tool} not found: run scripts/setup bench")
            return 1
    work = tempfile.mkdtemp(prefix="bench_ep_cscf_")
    key_pem, jwks = make_key(work, args.alg)
    load = Load(os.path.abspath(args.loadgen), args)
    results = {}
    log(f"machine: nproc {os.cpu_count()}, {uptime()}; servers on CPU {SERVER_CPU}, load on CPU "
        f"{TOOL_CPU}, all under {' '.join(NICE)}; work dir {work}")
    if not args.no_register:
        register_figures(args, work, load, key_pem, jwks, results)
    if args.idle:
        idle_figure(args, work, load, key_pem, jwks, make_cert(work), results)
    if args.bindings:
        bindings_figure(args, work, load, key_pem, jwks, results)
    summary(args, results)
    for key, name in (("bind_ep", "eP-CSCF (memory registrar)"), ("bind_kam", "Kamailio 5.6")):
        r = results.get(key)
        if r:
            log(f"memory per binding: {name} {r['held']} bindings, "
                f"{r['pss_per_conn_kib'] * 1024:,.0f} bytes PSS/binding "
                f"(RSS {r['rss_per_conn_kib'] * 1024:,.0f})")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(results, f, indent=1, default=str)
    return 0 if check(results) else 1


def check(results):
    """Every register run completed transactions without errors and every hold registered all
    its UAs (no figure is asserted)."""
    ok = True

    def walk(v):
        nonlocal ok
        if isinstance(v, dict) and "_cmd" in v:
            if v.get("errors_total", 0) or not v.get("transactions_ok"):
                log(f"FAILED run: {' '.join(v['_cmd'])}: errors {v.get('errors')}")
                ok = False
        elif isinstance(v, dict) and v.get("all_registered") is False:  # --idle, --bindings
            log(f"FAILED hold: {v['held']}/{v['n']} registered: {' '.join(v['cmd'])}")
            ok = False
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
    walk(results)
    return ok


if __name__ == "__main__":
    sys.exit(main())
