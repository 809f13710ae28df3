#!/usr/bin/env python3
"""Runs one SIPp scenario set against the built example-proxy on 127.0.0.1 (ctest LABELS sipp).

Every peer is a real process: the example proxy (ports chosen by the kernel, read from its
"listening <proto> <addr>:<port>" lines), one or two SIPp UASs and one SIPp UAC on free ports.
Each process's exit code is checked, processes are stopped by PID, and every log is printed
when something fails. Python 3 standard library only.

Usage: run_case.py --proxy PATH --scenarios DIR --case NAME [--keep DIR]
"""
import argparse
import errno
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

CASES = {
    # (1) UAC -> proxy -> UAS over UDP
    "call_udp": dict(
        transport="udp",
        uas=[("uas_answer.xml", {"answer_delay_ms": "0"})],
        user="service",
        uac=("uac_call.xml", {"pause_ms": "100"}),
    ),
    # (2) the same over TCP
    "call_tcp": dict(
        transport="tcp",
        uas=[("uas_answer.xml", {"answer_delay_ms": "0"})],
        user="service",
        uac=("uac_call.xml", {"pause_ms": "100"}),
    ),
    # (3) forked to two UASs: one rings then answers, the other rings and must receive a CANCEL
    #     with Reason: SIP;cause=200;text="Call completed elsewhere" (RFC 3326).
    "fork_cancel": dict(
        transport="udp",
        uas=[("uas_answer.xml", {"answer_delay_ms": "300"}),
             ("uas_ring_then_cancelled.xml", {})],
        user="fork",
        uac=("uac_call.xml", {"pause_ms": "100"}),
    ),
    # (4) 486 from one branch and 603 from the other: the caller gets 603 (RFC 3261 §16.7 step 6).
    "busy_decline": dict(
        transport="udp",
        uas=[("uas_reject.xml", {"@REJECT_CODE@": "486", "reject_delay_ms": "100"}),
             ("uas_reject.xml", {"@REJECT_CODE@": "603", "reject_delay_ms": "300"})],
        user="fork",
        uac=("uac_expect_final.xml", {"@EXPECT@": "603"}),
    ),
    # (5) a callee that never answers: Timer B (64*T1 = 3.2 s with T1 = 50 ms) -> 408.
    "dead_uas": dict(
        transport="udp",
        t1_ms=50,
        uas=[("uas_silent.xml", {"silent_ms": "5000"})],
        user="service",
        uac=("uac_expect_final.xml", {"@EXPECT@": "408"}),
    ),
}

DEADLINE_S = 45


class Failure(Exception):
    pass


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1 right now."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                    t.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise Failure("no free port")


def port_taken(port, kind):
    """True once something is bound to 127.0.0.1:port (bind fails with EADDRINUSE)."""
    with socket.socket(socket.AF_INET, kind) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            return e.errno == errno.EADDRINUSE
    return False


def wait_bound(proc, port, kind, what):
    """Polls until `proc` has bound `port` (no fixed sleep), or fails."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Failure(f"{what} exited early with {proc.returncode}")
        if port_taken(port, kind):
            return
        time.sleep(0.02)
    raise Failure(f"{what} did not bind port {port}")


def read_listening(proc, deadline):
    """Reads the proxy's 'listening <proto> <addr>:<port>' lines: {proto: port}."""
    ports, buf = {}, b""
    fd = proc.stdout.fileno()
    while time.monotonic() < deadline and not ("udp" in ports and "tcp" in ports):
        r, _, _ = select.select([fd], [], [], 0.2)
        if not r:
            if proc.poll() is not None:
                raise Failure(f"example-proxy exited with {proc.returncode} before listening")
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            raise Failure("example-proxy closed stdout before listening")
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            parts = line.decode().split()
            if len(parts) == 3 and parts[0] == "listening":
                ports[parts[1]] = int(parts[2].rsplit(":", 1)[1])
    if not ("udp" in ports and "tcp" in ports):
        raise Failure("example-proxy did not report its listeners")
    return ports


def instantiate(scenarios, scenario, keys, work, name):
    """The scenario path, or a copy with its @PLACEHOLDER@ keys filled in (for values SIPp checks
    at load time: status codes). Other keys are passed with -key."""
    path = os.path.join(scenarios, scenario)
    fills = {k: v for k, v in keys.items() if k.startswith("@")}
    if not fills:
        return path
    with open(path) as f:
        text = f.read()
    for k, v in fills.items():
        text = text.replace(k, v)
    out = os.path.join(work, name + "_" + scenario)
    with open(out, "w") as f:
        f.write(text)
    return out


def sipp_cmd(scenario, keys, port, transport, extra):
    keys = {k: v for k, v in keys.items() if not k.startswith("@")}
    cmd = ["sipp", "-sf", scenario, "-i", "127.0.0.1", "-p", str(port), "-m", "1", "-nostdin",
           "-trace_err", "-trace_msg", "-timeout", f"{DEADLINE_S - 10}s", "-timeout_error"]
    if transport == "tcp":
        cmd += ["-t", "t1"]
    for k, v in keys.items():
        cmd += ["-key", k, v]
    return cmd + extra


def run(args, work):
    case = CASES[args.case]
    transport = case["transport"]
    uas_ports = [free_port() for _ in case["uas"]]
    uac_port = free_port()
    param = ";transport=tcp" if transport == "tcp" else ""
    targets = ", ".join(f'"sip:uas{i}@127.0.0.1:{p}{param}"' for i, p in enumerate(uas_ports))
    config = os.path.join(work, "proxy.toml")
    with open(config, "w") as f:
        f.write(f"""[timers]
t1_ms = {case.get("t1_ms", 500)}
[[listeners]]
protocol = "udp"
address = "127.0.0.1"
port = 0
[[listeners]]
protocol = "tcp"
address = "127.0.0.1"
port = 0
[[routes]]
user = "{case["user"]}"
targets = [{targets}]
""")
    procs = []  # (name, Popen, log path)
    deadline = time.monotonic() + DEADLINE_S

    def start(name, cmd, pipe_stdout=False):
        log = open(os.path.join(work, name + ".out"), "wb")
        p = subprocess.Popen(cmd, cwd=work, stdout=subprocess.PIPE if pipe_stdout else log,
                             stderr=log)
        log.close()  # the child has its own copy
        procs.append((name, p))
        return p

    try:
        proxy = start("example-proxy", [args.proxy, "--config", config], pipe_stdout=True)
        ports = read_listening(proxy, deadline)

        uases = []
        for i, ((scenario, keys), port) in enumerate(zip(case["uas"], uas_ports)):
            path = instantiate(args.scenarios, scenario, keys, work, f"uas{i}")
            p = start(f"uas{i}", sipp_cmd(path, keys, port, transport, []))
            wait_bound(p, port, socket.SOCK_STREAM if transport == "tcp" else socket.SOCK_DGRAM,
                       f"uas{i}")
            uases.append(p)

        scenario, keys = case["uac"]
        scenario_path = instantiate(args.scenarios, scenario, keys, work, "uac")
        uac = start("uac", sipp_cmd(scenario_path, keys, uac_port, transport,
                                    ["-s", case["user"], f"127.0.0.1:{ports[transport]}"]))
        for name, p in [("uac", uac)] + [(f"uas{i}", u) for i, u in enumerate(uases)]:
            try:
                rc = p.wait(timeout=max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise Failure(f"{name} did not finish in time")
            if rc != 0:
                raise Failure(f"{name} exited with {rc}")
        proxy.send_signal(signal.SIGTERM)
        try:
            rc = proxy.wait(timeout=10)
        except subprocess.TimeoutExpired:
            raise Failure("example-proxy did not stop on SIGTERM")
        if rc != 0:
            raise Failure(f"example-proxy exited with {rc}")
    finally:
        for _, p in procs:
            if p.poll() is None:
                p.kill()  # by PID: only the processes this harness started
                p.wait()


def dump_logs(work):
    for name in sorted(os.listdir(work)):
        path = os.path.join(work, name)
        if os.path.isfile(path) and (name.endswith(".log") or name.endswith(".out")
                                     or name.endswith(".toml")):
            print(f"===== {name}")
            with open(path, "rb") as f:
                data = f.read()
            sys.stdout.write(data[-20000:].decode(errors="replace"))
            print()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", required=True)
    ap.add_argument("--scenarios", required=True)
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    ap.add_argument("--keep", help="work directory to keep (default: a temporary one)")
    args = ap.parse_args()
    args.proxy = os.path.abspath(args.proxy)
    args.scenarios = os.path.abspath(args.scenarios)
    if shutil.which("sipp") is None:
        print("sipp not found (Debian package sip-tester; scripts/setup installs it)")
        return 1
    work = args.keep or tempfile.mkdtemp(prefix=f"sipp_{args.case}_")
    os.makedirs(work, exist_ok=True)
    try:
        run(args, work)
    except Failure as e:
        print(f"FAILED {args.case}: {e}")
        dump_logs(work)
        return 1
    print(f"PASSED {args.case}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
