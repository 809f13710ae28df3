#!/usr/bin/env python3
"""ctest split_ports: scripts/split's port reservations (`--port-base auto`, docs/deployment.md
"Ports of parallel runs"), without starting any function.

- Six processes choose a base at once among eight candidates (auto_bases narrowed by this test):
  all six bases differ (choose-and-record is atomic under the lock; without it two sometimes
  pick the same free range), each is recorded with its run directory.
- A base reserved by a live starter is not handed out again although its ports are free; with
  only reserved candidates, choosing fails.
- Once the starters have exited (no recorded PID alive), their reservations are stale and dropped;
  `release` (what `stop` calls) removes a run directory's reservation; a fixed base is recorded.
- `--set FUNCTION.KEY=VALUE`: bad forms refused; 200NN ports in a VALUE moved like the files;
  passed to that function's wimpud only, and again after a restart (RUNDIR/overrides.json).

Usage: split_ports_test.py --script scripts/split
"""
import argparse
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

CHOOSERS = 6
CANDIDATES = 8


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def load(script):
    loader = importlib.machinery.SourceFileLoader("split_script", script)
    spec = importlib.util.spec_from_loader("split_script", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def child(args):
    """One starter: on "go", choose among --bases, print the base, stay alive until stdin closes."""
    split = load(args.script)
    bases = [int(b) for b in args.bases.split(",")]
    split.auto_bases = lambda: list(bases)
    print("ready", flush=True)
    sys.stdin.readline()  # all choosers released together: they contend for the lock
    base = split.Reservations().choose("auto", args.rundir)
    print(base, flush=True)
    sys.stdin.read()
    return 0


def reserved(registry):
    out = {}
    for name in os.listdir(registry):
        if name.endswith(".json"):
            with open(os.path.join(registry, name)) as f:
                r = json.load(f)
            out[r["base"]] = r["dir"]
    return out


def overrides(split, tmp):
    """--set FUNCTION.KEY=VALUE: parsed, ports moved like the files, recorded for restart."""
    check(split.parse_set('ep-cscf.ep_cscf.domains[0].block.quarantine_s=4') ==
          ("ep-cscf", "ep_cscf.domains[0].block.quarantine_s=4"), "parse_set")
    for bad in ("redis.port=1", "nowhere.a=1", "ep-cscf.novalue", "ep-cscf.=1", "ep-cscf"):
        try:
            split.parse_set(bad)
            raise Failure(f"--set {bad} accepted")
        except split.Failure:
            pass
    rundir = os.path.join(tmp, "overrides")
    s = split.Split(rundir, wimpud=sys.executable)  # any executable: command() is only built
    origins = 'ep_cscf.allowed_origins=["https://127.0.0.1:20000"]'
    ports = s.prepare(23400, [("ep-cscf", origins),
                              ("ep-cscf", "ep_cscf.registration.retry_after=2")])
    moved = 'ep_cscf.allowed_origins=["https://127.0.0.1:23400"]'
    cmd = s.command("ep-cscf", ports)
    check(cmd[-4:] == ["--set", moved, "--set", "ep_cscf.registration.retry_after=2"], f"{cmd}")
    check("--set" not in s.command("hss", ports), "an ep-cscf override reached the HSS")
    again = split.Split(rundir, wimpud=sys.executable)  # what restart does
    again.load_overrides()
    check(again.command("ep-cscf", ports) == cmd, "restart does not reuse the overrides")
    with open(os.path.join(rundir, "ep-cscf.toml")) as f:
        check("port = 23410" in f.read(), "the example ports were not moved")


def main_test(args):
    split = load(args.script)
    tmp = tempfile.mkdtemp(prefix="wimpu-split-ports-")
    registry = os.path.join(tmp, "registry")
    os.environ["WIMPU_SPLIT_PORTS_DIR"] = registry
    children = []
    try:
        # Candidates whose ports are free now (another run on this machine may hold some).
        free = [b for b in split.auto_bases()
                if all(split.port_free(b + off) for off in split.PORTS.values())]
        check(len(free) >= CANDIDATES, f"only {len(free)} free port ranges")
        lo, hi = split.ephemeral_range()
        check(all(b + 99 < lo or b > hi for b in free), "a candidate overlaps the ephemeral range")
        candidates = free[:CANDIDATES]
        bases = ",".join(str(b) for b in candidates)
        for i in range(CHOOSERS):
            children.append(subprocess.Popen(
                [sys.executable, __file__, "--child", "--script", args.script, "--bases", bases,
                 "--rundir", os.path.join(tmp, f"run{i}")],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
        for c in children:
            check(c.stdout.readline().strip() == "ready", "a chooser did not start")
        for c in children:
            c.stdin.write("go\n")
            c.stdin.flush()
        chosen = []
        for c in children:
            line = c.stdout.readline().strip()
            check(line.isdigit(), f"a chooser printed {line!r}")
            chosen.append(int(line))
        print(f"split_ports: {CHOOSERS} concurrent choosers got {sorted(chosen)}")
        check(len(set(chosen)) == CHOOSERS, f"two choosers share a base: {chosen}")
        check(set(chosen) <= set(candidates), f"{chosen} not among {candidates}")
        held = reserved(registry)
        check({b: held.get(b) for b in chosen} ==
              {b: os.path.join(tmp, f"run{i}") for i, b in enumerate(chosen)},
              f"reservations {held}")

        # A reserved range is skipped although its ports are free.
        spare = next(b for b in candidates if b not in chosen)
        split.auto_bases = lambda: [chosen[0], spare]
        mine = os.path.join(tmp, "mine")
        base = split.Reservations().choose("auto", mine)
        check(base == spare, f"got {base}, not the unreserved {spare}")
        split.auto_bases = lambda: [chosen[0]]
        try:
            split.Reservations().choose("auto", os.path.join(tmp, "other"))
            raise Failure("a reserved base was handed out when it was the only candidate")
        except split.Failure as e:
            check("no free port range" in str(e), str(e))

        # The starters exit: their reservations are stale (no recorded PID of theirs alive).
        for c in children:
            c.stdin.close()
            check(c.wait(timeout=30) == 0, "a chooser failed")
        children = []
        fixed = split.Reservations().choose("20000", os.path.join(tmp, "fixed"))
        check(fixed == 20000, f"fixed base {fixed}")
        held = reserved(registry)
        check(held == {base: mine, 20000: os.path.join(tmp, "fixed")},
              f"after the starters exited: {held}")
        split.Reservations().release(mine)
        check(reserved(registry) == {20000: os.path.join(tmp, "fixed")},
              f"after release: {reserved(registry)}")
        overrides(split, tmp)
        print("split_ports: passed")
        return 0
    finally:
        for c in children:
            c.stdin.close()
            c.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--script", required=True)
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--bases")
    ap.add_argument("--rundir")
    args = ap.parse_args()
    if args.child:
        return child(args)
    try:
        return main_test(args)
    except Failure as e:
        print(f"split_ports: FAIL: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
