#!/usr/bin/env python3
"""ctest split_deployment: `scripts/split start --port-base auto` in a temporary run directory;
every function's /readyz answers 200 (and `status` says so); a WIC logs in at the WWSF, gets a
token and REGISTERs over WSS at the eP-CSCF (200 with an IMPU of the block in P-Associated-URI);
`restart ep-cscf` brings a new eP-CSCF process that is ready again and takes a REGISTER; then
`stop` ends exactly the recorded PIDs. Prints every log on failure.

Usage: split_test.py --script scripts/split --wimpud BIN [--keep DIR]
"""
import argparse
import base64
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import urllib.request


class Failure(Exception):
    pass


def run_script(args, *extra, timeout=150):
    cmd = [sys.executable, args.script, *extra, "--dir", args.dir, "--wimpud", args.wimpud]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    print(f"$ {' '.join(cmd)}\n{r.stdout}{r.stderr}", flush=True)
    if r.returncode != 0:
        raise Failure(f"{' '.join(extra)} exited with {r.returncode}")
    return r.stdout


def ready(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
        return r.status


def tls_context(rundir):
    return ssl.create_default_context(cafile=os.path.join(rundir, "tls", "cert.pem"))


def token(ports, ctx):
    origin = f"https://127.0.0.1:{ports['wwsf_https']}"
    c = http.client.HTTPSConnection("127.0.0.1", ports["wwsf_https"], context=ctx, timeout=10)
    c.request("POST", "/api/login", json.dumps({"username": "demo", "password": "demo-password"}),
              {"Origin": origin, "Content-Type": "application/json"})
    r = c.getresponse()
    body = r.read()
    if r.status != 200:
        raise Failure(f"login: {r.status} {body!r}")
    cookie = r.getheader("Set-Cookie").split(";")[0]
    csrf = json.loads(body)["csrf_token"]
    c.request("POST", "/api/token", "", {"Origin": origin, "Cookie": cookie,
                                         "X-CSRF-Token": csrf})
    r = c.getresponse()
    body = r.read()
    if r.status != 200:
        raise Failure(f"token: {r.status} {body!r}")
    return json.loads(body)["token"]


class Wss:
    """A minimal RFC 6455 client: one TLS connection, text frames (masked) both ways."""

    def __init__(self, port, origin, ctx):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall((f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                        f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n"
                        f"Origin: {origin}\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.s.recv(4096)
            if not chunk:
                raise Failure("WebSocket handshake: connection closed")
            head += chunk
        if not head.startswith(b"HTTP/1.1 101"):
            raise Failure(f"WebSocket handshake: {head.splitlines()[0]!r}")
        self.buf = head.split(b"\r\n\r\n", 1)[1]

    def send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        hdr = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else
                               bytes([0x80 | 126]) + struct.pack("!H", n))
        self.s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise Failure("WebSocket closed")
            self.buf += chunk

    def recv(self):
        self._need(2)
        n = self.buf[1] & 0x7F
        off = 2
        if n == 126:
            self._need(4)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(off + n)
        payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
        return payload.decode(errors="replace")

    def close(self):
        self.s.close()


def register(ports, ctx, n):
    origin = f"https://127.0.0.1:{ports['wwsf_https']}"
    ws = Wss(ports["ep_cscf_wss"], origin, ctx)
    tok = token(ports, ctx)
    ws.send(f"REGISTER sip:block.example SIP/2.0\r\n"
            f"Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKsplit{n};rport\r\n"
            f"Max-Forwards: 70\r\nTo: <sip:wic@block.example>\r\n"
            f"From: <sip:wic@block.example>;tag=s{n}\r\nCall-ID: split-test-{n}\r\n"
            f"CSeq: 1 REGISTER\r\n"
            f"Contact: <sip:a@df7jal23ls0d.invalid;transport=ws>;+sip.instance="
            f"\"<urn:uuid:0000000{n}-aaaa-bbbb-cccc-dddddddddddd>\";reg-id=1;expires=600\r\n"
            f"Supported: path, outbound, gruu\r\nAuthorization: Bearer {tok}\r\n"
            f"Content-Length: 0\r\n\r\n")
    answer = ws.recv()
    ws.close()
    if not answer.startswith("SIP/2.0 200"):
        raise Failure(f"REGISTER {n}: {answer}")
    m = re.search(r"P-Associated-URI: <(sip:\+1555000\d{4}@block\.example)>", answer)
    if not m:
        raise Failure(f"REGISTER {n}: no IMPU of the block in {answer}")
    return m.group(1)


def run(args):
    out = run_script(args, "start", "--port-base", "auto")
    if "ready" not in out.splitlines() or not re.search(r"^WWSF https://127\.0\.0\.1:\d+/$", out,
                                                         re.M):
        raise Failure("start did not print the WWSF URL and ready")
    with open(os.path.join(args.dir, "ports.json")) as f:
        ports = json.load(f)
    for name in ("wwsf_admin", "ep_cscf_admin", "ei_cscf_admin", "s_cscf_admin", "hss_admin"):
        if ready(ports[name]) != 200:
            raise Failure(f"{name} /readyz not 200")
    status = run_script(args, "status")
    if status.count("\tready") != 6:
        raise Failure("status does not show six ready functions")
    ctx = tls_context(args.dir)
    impu = register(ports, ctx, 1)
    print(f"REGISTER 1 -> {impu}")
    with open(os.path.join(args.dir, "pids", "ep-cscf.pid")) as f:
        old = int(f.read())
    run_script(args, "restart", "ep-cscf")
    with open(os.path.join(args.dir, "pids", "ep-cscf.pid")) as f:
        new = int(f.read())
    if new == old:
        raise Failure("restart kept the same eP-CSCF process")
    print(f"REGISTER 2 -> {register(ports, ctx, 2)}")
    pids = []
    for f in os.listdir(os.path.join(args.dir, "pids")):
        with open(os.path.join(args.dir, "pids", f)) as p:
            pids.append(int(p.read()))
    run_script(args, "stop")
    for pid in pids:
        if os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split(") ")[1][0] != "Z":
            raise Failure(f"pid {pid} still runs after stop")
    if os.listdir(os.path.join(args.dir, "pids")):
        raise Failure("stop left PID files")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--script", required=True)
    ap.add_argument("--wimpud", required=True)
    ap.add_argument("--keep", help="run directory to keep (default: a temporary one)")
    args = ap.parse_args()
    if shutil.which("redis-server") is None:
        print("redis-server not found (scripts/setup installs it)")
        return 1
    args.dir = args.keep or tempfile.mkdtemp(prefix="wimpu_split_")
    try:
        run(args)
    except (Failure, subprocess.TimeoutExpired, OSError) as e:
        print(f"FAILED split: {e}")
        logs = os.path.join(args.dir, "logs")
        for f in sorted(os.listdir(logs)) if os.path.isdir(logs) else []:
            with open(os.path.join(logs, f), errors="replace") as fh:
                print(f"----- {f}\n{fh.read()[-4000:]}")
        subprocess.run([sys.executable, args.script, "stop", "--dir", args.dir], timeout=120)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(args.dir, ignore_errors=True)
    print("split: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
