#!/usr/bin/env python3
"""Instructions and malloc calls per figure-2 REGISTER (issue 8): the eP-CSCF under callgrind.

usage: callgrind_register.py EP_CSCF LOADGEN OUTDIR [N]

Starts the eP-CSCF as run_register.py does (memory registrar, EdDSA), but under
`valgrind --tool=callgrind --instr-atstart=no`; registers every UA once (2,000 REGISTERs: each
token verified once), then collects over N (default 20,000) re-REGISTERs with the same token on
the same flow (`callgrind_control -i on/off` around them). Callgrind counts are deterministic on
a loaded machine, unlike rates. Then: `callgrind_annotate OUTDIR/callgrind.out` (instructions =
total / N; user space only) and the `calls=` lines to `malloc` for allocations. Stops the server
by PID at the end. Not pinned and not real-time (valgrind serialises the server's threads).
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_register as rr  # noqa: E402


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    ep, lg, out = sys.argv[1], sys.argv[2], sys.argv[3]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 20000
    os.makedirs(out, exist_ok=True)
    rr.NICE.clear()
    rr.SERVER_CPU = rr.TOOL_CPU = "0-1"
    work = tempfile.mkdtemp(prefix="callgrind_register_")
    key_pem, jwks = rr.make_key(work, "EdDSA")
    wrap = os.path.join(work, "ep.sh")
    with open(wrap, "w") as f:
        f.write("#!/bin/sh\nexec valgrind --tool=callgrind --instr-atstart=no "
                f"--callgrind-out-file={os.path.join(out, 'callgrind.out')} {ep} \"$@\"\n")
    os.chmod(wrap, 0o755)
    server = rr.EpCscf(wrap, work, jwks, "EdDSA", preallocate=0)
    server.start()
    try:
        base = [lg, "register", "--url", server.url(), "-c", "10", "-u", "4", "--json", "-q"]
        base += server.load_args(key_pem, False)
        subprocess.run(base + ["-n", "2000"], capture_output=True, text=True, check=True,
                       timeout=600)
        pid = str(server.proc.pid)
        subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
        p = subprocess.run(base + ["-n", str(n)], capture_output=True, text=True, timeout=1800)
        subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
        r = json.loads(p.stdout)
        with open(os.path.join(out, "load.json"), "w") as f:
            json.dump(r, f)
        print(f"REGISTERs ok {r.get('transactions_ok')}, errors {r.get('errors_total')}")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
