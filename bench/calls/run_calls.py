#!/usr/bin/env python3
"""Terminating calls with forking to 2 WS contacts (issue 8, figure 4): wimpu vs Kamailio, one run.

wimpu: SIPp (the IMS UE, UDP) -> wimpu-ei-cscf (LIR to the HSS over Diameter, W4 check in Redis)
-> wimpu-s-cscf (terminating by the block's wildcard) -> wimpu-ep-cscf (W4 lookup in the same
Redis, one branch per +sip.instance) -> 2 WICs. wimpu-hss serves Cx to both CSCFs over real
Diameter (freeDiameter). The eP-CSCF registers its block with the S-CSCF at startup through the
eI-CSCF (trusted node). The WICs are two `wimpu-loadgen answer` processes holding one WS connection
per IMPU each, registered with Bearer tokens of the same web identities: each IMPU has 2 contacts.
Kamailio: SIPp -> Kamailio 5.6 (bench/calls/kamailio-ws-fork.cfg: lookup + t_relay) -> the same
two `wimpu-loadgen answer` processes, registered unauthenticated twice per AOR.

The fork outcome is fixed: loadgen process A answers at once (180, 200 + SDP), process B rings
(180) for --ring-b-ms, so each call's B branch is CANCELled by the proxy (200 to the CANCEL, 487).
A call is SIPp's INVITE, 200, ACK, --hold-ms pause, BYE, 200; SIPp counts a call as failed on any
unexpected message or a response missing for --recv-timeout-ms.

Figure: the highest SIPp rate (calls/s, fixed rate for --duration s) with 0 failed calls and the
rate reached (at least 97% of the target: otherwise SIPp's call limit held it back, which is a
failure to keep up). Rates are stepped geometrically (x --step) from --rate-start until a step
fails, then the last passing rate is the result; the search is repeated --repeat times (the next
search starts at 60% of the previous result) and the median is reported, with `uptime` beside.

Pinning: every server process (the wimpu NFs, redis-server, wimpu-hss; or every Kamailio process)
on CPU 1, SIPp and both load processes on CPU 0, all under `chrt -r 50` (as run_register.py).

Python 3 standard library only; starts and stops (by PID) everything it uses.
"""
import argparse
import csv
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench", "ep-cscf"))
sys.path.insert(0, os.path.join(ROOT, "tests", "sipp"))
import run_register as rr  # noqa: E402  (helpers: free_port, stop, memory, CPU time, keys)
from ims_core_config import block_subscriber, diameter_client, hss_toml  # noqa: E402
from run_case import free_port as free_udp_tcp_port  # noqa: E402  (free for UDP and TCP)

SERVER_CPU = rr.SERVER_CPU
TOOL_CPU = rr.TOOL_CPU
NICE = rr.NICE
ISSUER = rr.ISSUER
ORIGIN = rr.ORIGIN
REALM = rr.REALM
BLOCK_DOMAIN = "block.example"
BLOCK_ID = "b1"
RANGE_FIRST = 15550000100
RANGE_LAST = 15550009999
BLOCK_IMPU = "sip:+15550000000@block.example"
KAM_DOMAIN = "kam.test"
log = rr.log
uptime = rr.uptime


class Resp:
    """The few RESP calls the driver needs (redis-server, docs/w4.md functions)."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = self.s.makefile("rb")

    def call(self, *args):
        out = f"*{len(args)}\r\n"
        for a in args:
            a = str(a)
            out += f"${len(a.encode())}\r\n{a}\r\n"
        self.s.sendall(out.encode())
        return self._read()

    def _read(self):
        line = self.f.readline().rstrip(b"\r\n")
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data.decode(errors="replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise RuntimeError(f"RESP: unexpected {line!r}")

    def close(self):
        self.s.close()


class Proc:
    """A server process started under chrt + taskset on the server CPU, logs in the work dir."""

    def __init__(self, work, name, cmd, cpu=SERVER_CPU, pipe=False):
        self.name = name
        self.cmd = NICE + ["taskset", "-c", cpu] + cmd
        self.log_path = os.path.join(work, name + ".log")
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.cmd, cwd=work, stdout=subprocess.PIPE if pipe else logf,
                                     stderr=logf, preexec_fn=rr.child_setup)
        logf.close()
        self.out = b""

    def wait_line(self, prefix, timeout=30):
        """Reads stdout until a line starts with `prefix` (then stdout drains into a thread)."""
        import select
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if not r:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError(f"{self.name} closed stdout")
            self.out += chunk
            if any(line.startswith(prefix) for line in self.out.decode(errors="replace")
                   .splitlines()):
                threading.Thread(target=self._drain, daemon=True).start()
                return
        raise RuntimeError(f"{self.name} did not print '{prefix}'")

    def _drain(self):
        with open(self.log_path, "ab") as f:
            f.write(self.out)
            for chunk in iter(lambda: os.read(self.proc.stdout.fileno(), 4096), b""):
                f.write(chunk)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        rr.stop(self.proc, sig, timeout)


class WimpuSide:
    """wimpu-hss, wimpu-ei-cscf, wimpu-s-cscf, wimpu-ep-cscf and redis-server."""

    name = "wimpu (eI-CSCF -> S-CSCF -> eP-CSCF)"

    def __init__(self, args, work, jwks, key_pem):
        self.args, self.work, self.jwks, self.key_pem = args, work, jwks, key_pem
        self.procs = []

    def write(self, name, text):
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self):
        a, w = self.args, self.work
        self.redis_port, hss_port = rr.free_port(), rr.free_port()
        self.icscf, self.scscf = free_udp_tcp_port(), free_udp_tcp_port()
        self.ep_udp, self.ep_ws = free_udp_tcp_port(), free_udp_tcp_port()
        self.write("subscribers.toml", f"""
[capabilities]
server_names = ["sip:127.0.0.1:{self.scscf}"]
{block_subscriber(BLOCK_DOMAIN, BLOCK_IMPU, "sip:+1555000!.*!@" + BLOCK_DOMAIN)}""")
        hss = self.write("hss.toml", hss_toml(hss_port))
        icscf = self.write("icscf.toml", f"""
[[listeners]]
protocol = "udp"
address = "127.0.0.1"
port = {self.icscf}
[proxy]
domains = ["example", "{BLOCK_DOMAIN}"]
expected_transactions = 65536
[ei_cscf]
wimpu_domains = ["{BLOCK_DOMAIN}"]
[w4]
backend = "redis"
[w4.redis]
port = {self.redis_port}
[[blocks]]
id = "{BLOCK_ID}"
domains = ["{BLOCK_DOMAIN}"]
range_first = "+{RANGE_FIRST}"
range_last = "+{RANGE_LAST}"
{diameter_client("icscf.example", hss_port, 2000)}""")
        scscf = self.write("scscf.toml", f"""
[[listeners]]
protocol = "udp"
address = "127.0.0.1"
port = {self.scscf}
[proxy]
expected_transactions = 65536
[s_cscf]
server_name = "sip:127.0.0.1:{self.scscf}"
home_domains = ["example", "{BLOCK_DOMAIN}"]
trusted_nodes = ["127.0.0.1:{self.ep_udp}"]
trusted_proxies = ["127.0.0.1:{self.icscf}"]
{diameter_client("scscf.example", hss_port, 2000)}""")
        ep = self.write("ep-cscf.toml", f"""
[ep_cscf]
realm = "{REALM}"
allowed_origins = ["{ORIGIN}"]
[[listeners]]
protocol = "ws"
address = "127.0.0.1"
port = {self.ep_ws}
[[listeners]]
protocol = "udp"
address = "127.0.0.1"
port = {self.ep_udp}
[proxy]
shards = 1
expected_transactions = 65536
[registrar]
backend = "redis"
host = "127.0.0.1"
port = {self.redis_port}
[[domains]]
domain = "{BLOCK_DOMAIN}"
authz_server = "{ISSUER}/api/token"
upstream_icscf = "sip:127.0.0.1:{self.icscf};lr"
[domains.block]
id = "{BLOCK_ID}"
range_first = "+{RANGE_FIRST}"
range_last = "+{RANGE_LAST}"
[[domains.issuers]]
issuer = "{ISSUER}"
algorithm = "EdDSA"
jwks = '{self.jwks}'
[domains.registration]
trigger = "startup"
impu = "{BLOCK_IMPU}"
private_identity = "block@{BLOCK_DOMAIN}"
expires = 3600
retry_min_ms = 200
retry_max_ms = 1000
""")
        self.redis = Proc(w, "redis", ["redis-server", "--port", str(self.redis_port), "--bind",
                                       "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
                                       w])
        self.procs.append(self.redis)
        rr.wait_listening(self.redis.proc, self.redis_port, "redis-server")
        self.hss = Proc(w, "hss", [a.hss, "--config", hss], pipe=True)
        self.procs.append(self.hss)
        self.hss.wait_line("wimpu-hss: ready")
        self.ei = Proc(w, "ei-cscf", [a.icscf, "--config", icscf], pipe=True)
        self.procs.append(self.ei)
        self.ei.wait_line("listening")
        self.s = Proc(w, "s-cscf", [a.scscf, "--config", scscf], pipe=True)
        self.procs.append(self.s)
        self.s.wait_line("listening")
        self.ep = Proc(w, "ep-cscf", [a.ep_cscf, "--config", ep])
        self.procs.append(self.ep)
        rr.wait_listening(self.ep.proc, self.ep_ws, "wimpu-ep-cscf")
        self.cmd = " ;  ".join(" ".join(p.cmd) for p in self.procs)
        self.wait_block_registered()

    def wait_block_registered(self, timeout=30):
        """WIC REGISTERs get 503 until the block registration's 200 (trigger = startup): one
        probe WIC (its own web identity, outside the callees) registers once it succeeds."""
        cmd = [self.args.loadgen, "register", "--url", self.url()] + self.load_args(
            self.key_pem) + ["--sub-prefix", "probe-", "-c", "1", "-n", "1", "--no-reconnect",
                             "--timeout", "2", "-q", "--json"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = subprocess.run(cmd, capture_output=True, text=True).stdout
            try:
                if json.loads(out).get("transactions_ok") == 1:  # a 200, not the block's 503
                    return
            except ValueError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the eP-CSCF's block registration did not complete")

    def pids(self):
        return [p.proc.pid for p in self.procs]

    def parts(self):
        return {p.name: [p.proc.pid] for p in self.procs}

    def url(self):
        return f"ws://127.0.0.1:{self.ep_ws}/"

    def sip_target(self):
        return f"127.0.0.1:{self.icscf}"

    def load_args(self, key_pem):
        return ["--origin", ORIGIN, "--domain", BLOCK_DOMAIN, "--token-key", key_pem,
                "--token-kid", "k1", "--token-iss", ISSUER, "--token-aud", REALM,
                "--token-block", BLOCK_ID]

    def callees(self, n):
        """The IMPUs the n web identities hold (W4 in Redis), each checked to have 2 contacts."""
        r = Resp(self.redis_port)
        try:
            out = []
            for i in range(n):
                key = f"{len(ISSUER)}:{ISSUER}loadgen-{i}"
                v = r.call("FCALL_RO", "w4_lookup_identity", 1, f"{{blk:{BLOCK_ID}}}:cfg", key)
                if isinstance(v, Exception) or not v:
                    raise RuntimeError(f"W4 has no IMPU for {key}: {v}")
                live = len(v) - 4
                if live != 2:
                    raise RuntimeError(f"{v[0]}: {live} live contacts, expected 2")
                m = re.match(r"sip:([^@;]+)@([^;>]+)", v[0])
                out.append((m.group(1), m.group(2)))
            return out
        finally:
            r.close()

    def stop(self):
        # Reverse start order: the eP-CSCF de-registers its block first; freeDiameter peers
        # before the HSS. Also after a start that failed half-way (only what was started).
        for p in reversed(self.procs):
            p.stop(signal.SIGTERM, timeout=40)
        self.procs = []


class KamailioSide:
    name = "Kamailio 5.6 (lookup + t_relay)"

    def __init__(self, args, work):
        self.args, self.work = args, work

    def start(self):
        self.udp, self.ws = free_udp_tcp_port(), free_udp_tcp_port()
        rundir = tempfile.mkdtemp(prefix="kam-", dir=self.work)
        self.proc = Proc(self.work, "kamailio", [
            "kamailio", "-DD", "-E", "-f", os.path.abspath(self.args.kamailio_cfg),
            "-l", f"udp:127.0.0.1:{self.udp}", "-l", f"tcp:127.0.0.1:{self.ws}",
            "-m", "512", "-M", "16", "-Y", rundir, "-w", rundir,
            "-P", os.path.join(rundir, "kam.pid")])
        rr.wait_listening(self.proc.proc, self.ws, "kamailio")
        self.cmd = " ".join(self.proc.cmd)

    def pids(self):
        return rr.children_of(self.proc.proc.pid)

    def parts(self):
        return {"kamailio": self.pids()}

    def url(self):
        return f"ws://127.0.0.1:{self.ws}/"

    def sip_target(self):
        return f"127.0.0.1:{self.udp}"

    def load_args(self, _key_pem):
        return ["--domain", KAM_DOMAIN, "--aor", f"sip:user{{n}}@{KAM_DOMAIN}"]

    def callees(self, n):
        return [(f"user{i}", KAM_DOMAIN) for i in range(n)]

    def stop(self):
        if getattr(self, "proc", None):
            self.proc.stop()
            self.proc = None


class Wics:
    """Two `wimpu-loadgen answer` processes on the tool CPU: A answers at once, B rings."""

    def __init__(self, args, server, key_pem):
        self.args, self.server, self.key_pem = args, server, key_pem
        self.procs, self.registered, self.cmds = {}, {}, {}
        self.reports = {}

    def start(self):
        a = self.args
        pat = re.compile(r"t=\S+ established=(\d+) registered=(\d+)")
        for name, ring in (("A", 0), ("B", a.ring_b_ms)):
            cmd = (NICE + ["taskset", "-c", TOOL_CPU, a.loadgen, "answer", "--url",
                           self.server.url()] + self.server.load_args(self.key_pem)
                   + ["-c", str(a.impus), "--connect-rate", "2000", "--expires", "3600",
                      "--ring-ms", str(ring), "--report-interval", "0.5", "--json"])
            self.cmds[name] = cmd
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 preexec_fn=rr.child_setup)
            self.procs[name] = p
            self.registered[name] = 0

            def reader(p=p, name=name):
                for line in p.stderr:
                    m = pat.search(line)
                    if m:
                        self.registered[name] = int(m.group(2))
            threading.Thread(target=reader, daemon=True).start()
        deadline = time.monotonic() + max(60, a.impus / 100)
        while time.monotonic() < deadline:
            if all(v >= a.impus for v in self.registered.values()):
                return
            for name, p in self.procs.items():
                if p.poll() is not None:
                    raise RuntimeError(f"wimpu-loadgen {name} exited with {p.returncode}")
            time.sleep(0.1)
        raise RuntimeError(f"WICs not all registered: {self.registered} of {a.impus} each")

    def pids(self):
        return [p.pid for p in self.procs.values()]

    def stop(self):
        for name, p in self.procs.items():
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
            try:
                out, _ = p.communicate(timeout=30)
                self.reports[name] = json.loads(out) if out.strip() else None
            except (subprocess.TimeoutExpired, ValueError):
                p.kill()
                p.wait()
                self.reports[name] = None
        return self.reports


def sipp_step(args, work, server, csv_path, rate, duration, scenario, wic_pids=()):
    """One fixed-rate SIPp run; returns a dict with calls, failures, reached rate, server CPU."""
    port = free_udp_tcp_port()
    total = max(1, int(rate * duration))
    stat = os.path.join(work, f"sipp_{port}.csv")
    cmd = (NICE + ["taskset", "-c", TOOL_CPU, "sipp", "-sf", scenario, "-inf", csv_path,
                   "-i", "127.0.0.1", "-p", str(port), "-t", "u1", "-m", str(total),
                   "-r", str(rate), "-rp", "1000", "-l", str(max(100, int(rate * 2))),
                   "-recv_timeout", str(args.recv_timeout_ms), "-nostdin", "-nr",
                   "-default_behaviors", "bye,pingreply",
                   "-trace_stat", "-stf", stat, "-fd", "3600",
                   "-timeout", f"{int(duration + args.recv_timeout_ms / 1000 + 30)}s",
                   "-trace_err", "-error_file", os.path.join(work, f"sipp_{port}_err.log")]
           + (["-trace_msg", "-message_file", os.path.join(work, f"sipp_{port}_msg.log")]
              if args.trace else [])
           + [server.sip_target()])
    pids = server.pids()
    parts = server.parts()
    p0 = {k: rr.cpu_seconds(v) for k, v in parts.items()}
    u0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    c0, w0, t0 = rr.cpu_seconds(pids), rr.cpu_seconds(wic_pids), time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=work)
    c1, w1, t1 = rr.cpu_seconds(pids), rr.cpu_seconds(wic_pids), time.monotonic()
    u1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    split = {k: (rr.cpu_seconds(v) - p0[k]) / max(t1 - t0, 1e-9) for k, v in parts.items()}
    sipp_cpu = (u1.ru_utime + u1.ru_stime - u0.ru_utime - u0.ru_stime) / max(t1 - t0, 1e-9)
    wic_cpu = (w1 - w0) / max(t1 - t0, 1e-9)
    stats = {}
    try:
        with open(stat) as f:
            rows = list(csv.reader(f, delimiter=";"))
        stats = dict(zip(rows[0], rows[-1]))
    except (OSError, IndexError):
        pass
    ok = int(stats.get("SuccessfulCall(C)", 0) or 0)
    failed = int(stats.get("FailedCall(C)", 0) or 0)
    if not stats:
        failed = total
    # Elapsed from SIPp's own clock (ElapsedTime(C) "HH:MM:SS:mmm..." ) if present.
    elapsed = t1 - t0
    m = re.match(r"(\d+):(\d+):(\d+):(\d+)", stats.get("ElapsedTime(C)", ""))
    if m:
        h, mi, s, ms = (int(x) for x in m.groups())
        elapsed = h * 3600 + mi * 60 + s + ms / 1000
    rt = stats.get("ResponseTimeinvite(C)", "")
    r = {"rate": rate, "calls": total, "ok": ok, "failed": failed, "rc": p.returncode,
         "elapsed_s": elapsed, "reached": ok / max(elapsed, 1e-9),
         "server_cpu": (c1 - c0) / max(t1 - t0, 1e-9), "invite_rt": rt,
         "sipp_cpu": sipp_cpu, "wic_cpu": wic_cpu, "server_cpu_split": split,
         "cmd": " ".join(cmd), "load": uptime()}
    # Calls start over total/rate seconds and the last one lasts ~hold + RTT: reached rate is
    # counted over the start window.
    window = total / rate
    r["reached"] = ok / max(min(elapsed, window + args.hold_ms / 1000 + 1), 1e-9)
    r["pass"] = failed == 0 and ok == total and p.returncode == 0 and \
        elapsed <= window * 1.03 + args.hold_ms / 1000 + 2
    log(f"    {rate:7.0f} calls/s x {duration:g} s: {ok}/{total} ok, {failed} failed, "
        f"sipp rc {p.returncode}, {elapsed:.1f} s, server cpu {100 * r['server_cpu']:.0f}%, tool cpu "
        f"sipp {100 * sipp_cpu:.0f}% + WICs {100 * wic_cpu:.0f}%, "
        f"INVITE->200 mean {rt}  {'PASS' if r['pass'] else 'FAIL'}  [{r['load']}]")
    if len(split) > 1:
        log("        server cpu by process: " +
            ", ".join(f"{k} {100 * v:.0f}%" for k, v in split.items()))
    return r


def search(args, work, server, csv_path, scenario, start, wic_pids):
    """Geometric rate steps from `start` until one fails: the last passing rate."""
    rate, best = start, None
    for _ in range(args.max_steps):
        r = sipp_step(args, work, server, csv_path, rate, args.duration, scenario, wic_pids)
        if not r["pass"]:
            break
        best = r
        rate = int(rate * args.step + 0.5)
        time.sleep(0.5)
    if best is None:
        log(f"    no passing rate from {start}/s")
    return best


def start_server(make_server, attempts=3):
    """Starts one side's servers. Their ports are picked free and bound a moment later, so a test
    running in parallel can take one in between (EADDRINUSE): a start that fails is stopped
    (every process it started, by PID) and retried on new ports."""
    for attempt in range(1, attempts + 1):
        server = make_server()
        try:
            server.start()
            return server
        except RuntimeError as e:
            server.stop()
            if attempt == attempts:
                raise
            log(f"  start failed ({e}); attempt {attempt + 1}/{attempts} on new ports")
    raise AssertionError("unreachable")


def run_side(args, work, make_server, key_pem):
    """Figure 4 for one side. Every search gets freshly started servers and WICs: an overload
    that a side does not recover from (see bench/RESULTS.md) must not fail the next search."""
    scenario = os.path.join(work, "uac_call.xml")
    with open(os.path.join(HERE, "uac_call.xml")) as f:
        text = f.read().replace("@HOLD_MS@", str(args.hold_ms))
    with open(scenario, "w") as f:
        f.write(text)
    res = {"maxima": [], "searches": []}
    start = args.rate_start
    for i in range(1 if args.quick else args.repeat):
        server = start_server(make_server)
        res["name"] = server.name
        log(f"  {server.name}: {server.cmd}")
        res["cmd"] = server.cmd
        wics = Wics(args, server, key_pem)
        one = {}
        try:
            t0 = time.monotonic()
            wics.start()
            log(f"  {args.impus} IMPUs x 2 WS contacts registered in "
                f"{time.monotonic() - t0:.1f} s: "
                f"{' | '.join(' '.join(c) for c in wics.cmds.values())}")
            callees = server.callees(args.impus)
            csv_path = os.path.join(work, "callees.csv")
            with open(csv_path, "w") as f:
                f.write("SEQUENTIAL\n")
                for user, host in callees:
                    f.write(f"{user};{host};\n")
            if args.quick:
                q = sipp_step(args, work, server, csv_path, args.rate_start, args.duration,
                              scenario, wics.pids())
                one["quick"] = res["quick"] = q
                best = q if q["pass"] else None
            else:
                log(f"   search {i + 1}/{args.repeat} from {start}/s")
                best = search(args, work, server, csv_path, scenario, start, wics.pids())
            if best:
                res["maxima"].append(best)
                start = max(10, int(best["rate"] * 0.6))
        finally:
            one["wics"] = wics.stop()
            server.stop()
        for name, rep in one["wics"].items():
            if rep:
                c = rep.get("calls", {})
                log(f"  WICs {name}: {json.dumps(c)}; errors {rep.get('errors_total')}; tool "
                    f"cpu {100 * rep['cpu']['cores_used']:.0f}%")
        # The fork outcome (one answer, one CANCEL per call) from the WICs' own counters.
        a, b = one["wics"].get("A") or {}, one["wics"].get("B") or {}
        ca, cb = a.get("calls", {}), b.get("calls", {})
        # Never two answers for one call. The exact one-answer-one-CANCEL count is checked in
        # the smoke run only: an overloaded step leaves calls whose CANCEL or ACK was lost.
        one["fork_ok"] = bool(a and b) and cb.get("answered", 1) == 0
        if args.quick:
            one["fork_ok"] = one["fork_ok"] and \
                ca.get("answered", 0) == cb.get("cancelled_487", -1) and \
                not a.get("errors_total") and not b.get("errors_total")
            q = one.get("quick", {})
            one["fork_ok"] = one["fork_ok"] and ca.get("answered") == q.get("ok") and \
                ca.get("byes") == q.get("ok")
        log(f"  fork outcome {'as designed' if one['fork_ok'] else 'NOT as designed'}: A "
            f"answered {ca.get('answered')}, B cancelled {cb.get('cancelled_487')}, B answered "
            f"{cb.get('answered')}")
        res["searches"].append(one)
    res["fork_ok"] = all(o["fork_ok"] for o in res["searches"])
    if res["maxima"]:
        rates = sorted(m["rate"] for m in res["maxima"])
        res["median"] = rates[len(rates) // 2]
        log(f"  {server.name}: max calls/s at 0% failure per search {rates}, median "
            f"{res['median']}")
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    b = os.path.join(ROOT, "build")
    ap.add_argument("--ep-cscf", default=os.path.join(b, "nf/ep-cscf/wimpu-ep-cscf"))
    ap.add_argument("--icscf", default=os.path.join(b, "nf/ei-cscf/wimpu-ei-cscf"))
    ap.add_argument("--scscf", default=os.path.join(b, "nf/s-cscf/wimpu-s-cscf"))
    ap.add_argument("--hss", default=os.path.join(b, "nf/hss/wimpu-hss"))
    ap.add_argument("--loadgen", default=os.path.join(b, "bench/loadgen/wimpu-loadgen"))
    ap.add_argument("--kamailio-cfg", default=os.path.join(HERE, "kamailio-ws-fork.cfg"))
    ap.add_argument("--impus", type=int, default=500,
                    help="callees (IMPUs / AORs), each with 2 WS contacts")
    ap.add_argument("--rate-start", type=int, default=200, help="calls/s of the first step")
    ap.add_argument("--step", type=float, default=1.25, help="rate factor between steps")
    ap.add_argument("--max-steps", type=int, default=30)
    ap.add_argument("--duration", type=float, default=5.0, help="seconds of calls per step")
    ap.add_argument("--hold-ms", type=int, default=100, help="pause between ACK and BYE")
    ap.add_argument("--ring-b-ms", type=int, default=30000,
                    help="WIC B rings this long (longer than any call setup: it is CANCELled)")
    ap.add_argument("--recv-timeout-ms", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3, help="searches; the median is reported")
    ap.add_argument("--no-wimpu", action="store_true")
    ap.add_argument("--no-kamailio", action="store_true")
    ap.add_argument("--quick", action="store_true",
                    help="smoke: 4 IMPUs, one 2 s step at 10 calls/s, asserts 0 failed calls")
    ap.add_argument("--no-rt", action="store_true", help="no chrt (ctest smoke run)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--trace", action="store_true", help="SIPp -trace_msg (debugging)")
    ap.add_argument("--json-out")
    args = ap.parse_args()
    if args.no_rt:
        NICE.clear()
    if args.quick:
        args.impus, args.rate_start, args.duration, args.hold_ms = 4, 10, 2.0, 50
        args.repeat, args.ring_b_ms = 1, 20000
    for opt in ("ep_cscf", "icscf", "scscf", "hss", "loadgen"):
        setattr(args, opt, os.path.abspath(getattr(args, opt)))
    tools = ["sipp", "taskset", "redis-server", "openssl"] + ([] if args.no_rt else ["chrt"])
    tools += [] if args.no_kamailio else ["kamailio"]
    for tool in tools:
        if shutil.which(tool) is None:
            log(f"{tool} not found: run scripts/setup bench")
            return 1
    work = tempfile.mkdtemp(prefix="bench_calls_")
    key_pem, jwks = rr.make_key(work, "EdDSA")
    log(f"machine: nproc {os.cpu_count()}, {uptime()}; servers on CPU {SERVER_CPU}, SIPp and "
        f"loadgen on CPU {TOOL_CPU}, all under {' '.join(NICE) or '(no chrt)'}; work dir {work}")
    results = {}
    ok = True
    try:
        if not args.no_wimpu:
            results["wimpu"] = run_side(args, work, lambda: WimpuSide(args, work, jwks, key_pem),
                                        key_pem)
        if not args.no_kamailio:
            results["kamailio"] = run_side(args, work, lambda: KamailioSide(args, work), key_pem)
    except RuntimeError as e:
        log(f"FAILED: {e}  (logs in {work})")
        args.keep = True
        ok = False
    log("\n==== summary ====")
    cpu = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"],
                         capture_output=True, text=True).stdout.strip()
    log(f"cpu: {cpu}, nproc {os.cpu_count()}, {uptime()}")
    for key, r in results.items():
        if args.quick:
            q = r.get("quick", {})
            log(f"fig4 smoke {r['name']}: {q.get('ok')}/{q.get('calls')} calls ok, "
                f"{q.get('failed')} failed")
            ok = ok and bool(q.get("pass")) and r["fork_ok"]
        else:
            log(f"fig4 {r['name']}: {r.get('median', 'no passing rate')} calls/s at 0% failure "
                f"(median of {len(r['maxima'])}; each search's best {[m['rate'] for m in r['maxima']]})")
            ok = ok and bool(r["maxima"]) and r["fork_ok"]
    if "wimpu" in results and "kamailio" in results and not args.quick:
        w, k = results["wimpu"].get("median"), results["kamailio"].get("median")
        if w and k:
            log(f"fig4 ratio wimpu / Kamailio: {w / k:.2f}")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(results, f, indent=1, default=str)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
