#!/usr/bin/env python3
"""SIPp checks of the IMS core (ctest -L sipp): wimpu-hss, wimpu-ei-cscf and wimpu-s-cscf as
separate processes on 127.0.0.1, Cx over real Diameter (freeDiameter), the eI-CSCF's W4 in a real
redis-server. One HSS serves every phase (freeDiameter start/stop is slow). Every outcome is
asserted from SIPp's side (scenario exit codes and regexp checks):

  1. IMS UEs register through the eI-CSCF to the S-CSCF with SIP Digest (401 then 200);
  2. UE alice calls UE bob (S-CSCF originating -> eI-CSCF -> S-CSCF terminating), the call completes;
  3. a fake eP-CSCF registers its block (trusted node); a terminating INVITE to a block IMPU the
     W4 holds with a live contact reaches it with P-Called-Party-ID;
  4. a block IMPU allocated but whose contact expired -> 480;
  5. an IMPU outside any block and unknown to the HSS -> 404;
  6. HSS stopped -> 503.

Usage: run_ims.py --hss BIN --icscf BIN --scscf BIN --seed BIN --scenarios DIR [--keep DIR]
"""
import argparse
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from ims_core_config import block_subscriber, diameter_client, ha1, hss_toml
from run_case import Failure, dump_logs, free_port, wait_bound

DEADLINE_S = 120
SIPP_TIMEOUT_S = 20


class Harness:
    def __init__(self, args, work):
        self.args, self.work = args, work
        self.procs = []  # (name, Popen)
        self.deadline = time.monotonic() + DEADLINE_S
        self.sipp_runs = 0

    def start(self, name, cmd, pipe_stdout=False):
        log = open(os.path.join(self.work, name + ".out"), "ab")
        p = subprocess.Popen(cmd, cwd=self.work, stdout=subprocess.PIPE if pipe_stdout else log,
                             stderr=log)
        log.close()
        self.procs.append((name, p))
        return p

    def wait_line(self, proc, prefix, what):
        buf = b""
        fd = proc.stdout.fileno()
        while time.monotonic() < self.deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if not r:
                if proc.poll() is not None:
                    raise Failure(f"{what} exited with {proc.returncode} before '{prefix}'")
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                raise Failure(f"{what} closed stdout before '{prefix}'")
            buf += chunk
            for line in buf.decode(errors="replace").splitlines():
                if line.startswith(prefix):
                    return line
        raise Failure(f"{what} did not print '{prefix}'")

    def stop(self, proc, what, grace=20):
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            raise Failure(f"{what} did not stop on SIGTERM")
        if rc != 0:
            raise Failure(f"{what} exited with {rc}")

    def sipp(self, name, scenario, port, remote, keys, fills=None, extra=None, background=False):
        path = os.path.join(self.args.scenarios, scenario)
        if fills:
            with open(path) as f:
                text = f.read()
            for k, v in fills.items():
                text = text.replace(k, v)
            path = os.path.join(self.work, name + "_" + scenario)
            with open(path, "w") as f:
                f.write(text)
        cmd = ["sipp", "-sf", path, "-i", "127.0.0.1", "-p", str(port), "-m", "1", "-nostdin",
               "-trace_err", "-trace_msg", "-timeout", f"{SIPP_TIMEOUT_S}s", "-timeout_error"]
        for k, v in keys.items():
            cmd += ["-key", k, v]
        cmd += extra or []
        if remote:
            cmd.append(remote)
        self.sipp_runs += 1
        p = self.start(name, cmd)
        if background:
            wait_bound(p, port, socket.SOCK_DGRAM, name)
            return p
        self.expect_exit(p, name)
        return p

    def expect_exit(self, p, name):
        try:
            rc = p.wait(timeout=max(1, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise Failure(f"{name} did not finish in time")
        if rc != 0:
            raise Failure(f"{name} (SIPp) exited with {rc}")

    def probe(self, port, user, what, want):
        """REGISTERs sip:<user>@example over UDP until the answer is `want` (the node reaches the
        HSS: before CER/CEA it answers 503). Bounded; not a fixed sleep."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            me = s.getsockname()[1]
            n = 0
            end = time.monotonic() + 20
            while time.monotonic() < end:
                n += 1
                msg = (f"REGISTER sip:example SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{me};"
                       f"branch=z9hG4bKprobe{n}\r\nMax-Forwards: 70\r\nFrom: <sip:{user}@example>"
                       f";tag=p{n}\r\nTo: <sip:{user}@example>\r\nCall-ID: probe{n}@{me}\r\n"
                       f"CSeq: {n} REGISTER\r\nContact: <sip:{user}@127.0.0.1:{me}>\r\n"
                       "Content-Length: 0\r\n\r\n")
                s.sendto(msg.encode(), ("127.0.0.1", port))
                code = 0
                t_end = time.monotonic() + 2
                while time.monotonic() < t_end:
                    r, _, _ = select.select([s], [], [], 0.2)
                    if not r:
                        continue
                    data = s.recv(8192).decode(errors="replace")
                    if f"probe{n}@" in data and data.startswith("SIP/2.0 "):
                        code = int(data[8:11])
                        if code >= 200:
                            break
                if code == want:
                    return
                if code not in (0, 503):
                    raise Failure(f"{what} probe answered {code}, expected {want}")
                time.sleep(0.1)  # retry pacing while the Diameter connection comes up
        raise Failure(f"{what} never reached the HSS")

    def seed(self, redis_port, subject, expires, wait_expired=False):
        cmd = [self.args.seed, "--redis-port", str(redis_port), "--subject", subject,
               "--expires", str(expires)]
        if wait_expired:
            cmd.append("--wait-expired")
        out = subprocess.run(cmd, capture_output=True, timeout=30, cwd=self.work)
        if out.returncode != 0:
            raise Failure(f"w4 seed failed: {out.stderr.decode()}")
        return out.stdout.decode().strip()

    def cleanup(self):
        for _, p in self.procs:
            if p.poll() is None:
                p.kill()  # by PID: only the processes this harness started
                p.wait()


def write(work, name, text):
    with open(os.path.join(work, name), "w") as f:
        f.write(text)


def run(h):
    work = h.work
    redis_port, hss_port = free_port(), free_port()
    icscf, scscf = free_port(), free_port()
    ue_a, ue_b, ep, caller = free_port(), free_port(), free_port(), free_port()

    write(work, "subscribers.toml", f"""
[capabilities]
server_names = ["sip:127.0.0.1:{scscf}"]
[[subscriber]]
impi = "alice@example"
realm = "example"
ha1 = "{ha1('alice@example', 'example', 'alice-secret')}"
  [[subscriber.implicit_set]]
  public_identities = ["sip:alice@example"]
[[subscriber]]
impi = "bob@example"
realm = "example"
ha1 = "{ha1('bob@example', 'example', 'bob-secret')}"
  [[subscriber.implicit_set]]
  public_identities = ["sip:bob@example"]
{block_subscriber("block.example", "sip:+15550000000@block.example",
                   "sip:+1555000!.*!@block.example")}""")
    write(work, "hss.toml", hss_toml(hss_port))
    write(work, "icscf.toml", f"""
[[listeners]]
protocol = "udp"
address = "127.0.0.1"
port = {icscf}
[proxy]
domains = ["example", "block.example"]
[ei_cscf]
wimpu_domains = ["block.example"]
[w4]
backend = "redis"
[w4.redis]
port = {redis_port}
[[blocks]]
id = "b1"
domains = ["block.example"]
range_first = "+15550000100"
range_last = "+15550000199"
{diameter_client("icscf.example", hss_port, 1000)}""")
    write(work, "scscf.toml", f"""
[[listeners]]
protocol = "udp"
address = "127.0.0.1"
port = {scscf}
[s_cscf]
server_name = "sip:127.0.0.1:{scscf}"
home_domains = ["example", "block.example"]
trusted_nodes = ["127.0.0.1:{ep}"]
trusted_proxies = ["127.0.0.1:{icscf}"]
[[s_cscf.icscf]]
domain = "example"
uri = "sip:127.0.0.1:{icscf}"
{diameter_client("scscf.example", hss_port, 1000)}""")

    redis = h.start("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", work])
    wait_bound(redis, redis_port, socket.SOCK_STREAM, "redis-server")
    hss = h.start("hss", [h.args.hss, "--config", os.path.join(work, "hss.toml")],
                  pipe_stdout=True)
    h.wait_line(hss, "wimpu-hss: ready", "wimpu-hss")
    icscf_p = h.start("icscf", [h.args.icscf, "--config", os.path.join(work, "icscf.toml")],
                      pipe_stdout=True)
    h.wait_line(icscf_p, "listening", "wimpu-ei-cscf")
    scscf_p = h.start("scscf", [h.args.scscf, "--config", os.path.join(work, "scscf.toml")],
                      pipe_stdout=True)
    h.wait_line(scscf_p, "listening", "wimpu-s-cscf")
    h.probe(icscf, "probe", "eI-CSCF", 403)  # UAR 5001 -> 403 once Cx is up
    h.probe(scscf, "probe", "S-CSCF", 403)   # MAR 5001 -> 403 once Cx is up

    at_icscf = f"127.0.0.1:{icscf}"
    # 1. Digest registrations through the eI-CSCF (401 then 200).
    h.sipp("bob_register", "ims_register.xml", ue_b, at_icscf, {"user": "bob", "domain": "example"},
           extra=["-au", "bob@example", "-ap", "bob-secret"])
    bob = h.sipp("bob_uas", "ims_uas_answer.xml", ue_b, None, {}, background=True)
    h.sipp("alice_register", "ims_register.xml", ue_a, at_icscf,
           {"user": "alice", "domain": "example"}, extra=["-au", "alice@example", "-ap",
                                                          "alice-secret"])
    # 2. alice calls bob: originating at the S-CSCF, the eI-CSCF, terminating at the S-CSCF.
    h.sipp("alice_call", "ims_uac_orig_call.xml", ue_a, f"127.0.0.1:{scscf}",
           {"user": "alice", "domain": "example", "callee": "bob@example",
            "scscf": f"127.0.0.1:{scscf}"})
    h.expect_exit(bob, "bob_uas")

    # 3. The fake eP-CSCF registers its block; an allocated IMPU with a live contact reaches it.
    h.sipp("ep_register", "ims_trusted_register.xml", ep, at_icscf, {})
    ep_uas = h.sipp("ep_term", "ims_epcscf_term.xml", ep, None, {}, background=True)
    impu = h.seed(redis_port, "wic1", 600)
    h.sipp("term_live", "ims_uac_expect.xml", caller, at_icscf,
           {"callee": impu.removeprefix("sip:")}, fills={"@EXPECT@": "486"})
    h.expect_exit(ep_uas, "ep_term")
    # 4. Allocated, contact expired -> 480 (the eI-CSCF's W4 check).
    expired = h.seed(redis_port, "wic2", 1, wait_expired=True)
    h.sipp("term_expired", "ims_uac_expect.xml", caller, at_icscf,
           {"callee": expired.removeprefix("sip:")}, fills={"@EXPECT@": "480"})
    # 5. Outside any block and unknown to the HSS -> 404 (LIA 5001).
    h.sipp("term_unknown", "ims_uac_expect.xml", caller, at_icscf,
           {"callee": "+19990000001@block.example"}, fills={"@EXPECT@": "404"})
    # 6. HSS stopped -> 503.
    h.stop(hss, "wimpu-hss")
    h.sipp("term_hss_down", "ims_uac_expect.xml", caller, at_icscf,
           {"callee": impu.removeprefix("sip:")}, fills={"@EXPECT@": "503"})

    h.stop(scscf_p, "wimpu-s-cscf")
    h.stop(icscf_p, "wimpu-ei-cscf")
    redis.send_signal(signal.SIGTERM)
    redis.wait(timeout=10)


def main():
    ap = argparse.ArgumentParser()
    for opt in ("hss", "icscf", "scscf", "seed", "scenarios"):
        ap.add_argument("--" + opt, required=True)
    ap.add_argument("--keep", help="work directory to keep (default: a temporary one)")
    args = ap.parse_args()
    for opt in ("hss", "icscf", "scscf", "seed", "scenarios"):
        setattr(args, opt, os.path.abspath(getattr(args, opt)))
    for tool in ("sipp", "redis-server"):
        if shutil.which(tool) is None:
            print(f"{tool} not found (scripts/setup installs sip-tester and redis-server)")
            return 1
    work = args.keep or tempfile.mkdtemp(prefix="sipp_ims_")
    os.makedirs(work, exist_ok=True)
    h = Harness(args, work)
    try:
        run(h)
    except Failure as e:
        print(f"FAILED ims: {e}")
        dump_logs(work)
        return 1
    finally:
        h.cleanup()
    print(f"PASSED ims ({h.sipp_runs} SIPp runs)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
