#!/usr/bin/env python3
"""Local-lab timings and footprint: `lab up` to ready, `drill start` to faults active in
every service, and the whole lab's memory (services, loadgen, Prometheus, Jaeger, VictoriaLogs
when built) at a drill's load, per process kind.

Runs the real `firedrill` binary from target/release in a temporary directory; every wait is
bounded. --hold is how long the first run's drill runs before memory is sampled (Jaeger's
in-memory store fills for about six minutes at this load).
Usage: make release && python3 tools/bench/lab_timing.py [--runs N] [--hold SECONDS]
"""
import argparse, json, os, statistics, subprocess, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIREDRILL = os.path.join(ROOT, "target", "release", "firedrill")
ENV = dict(os.environ, FIREDRILL_SCENARIOS=os.path.join(ROOT, "scenarios"), NO_COLOR="1")


def fd(cwd, *args, check=True):
    out = subprocess.run([FIREDRILL, *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=120)
    if check and out.returncode != 0:
        raise SystemExit(f"firedrill {' '.join(args)} failed: {out.stderr}")
    return out.stdout


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in os.listdir(f"/proc/{p}/task"):
            try:
                with open(f"/proc/{p}/task/{task}/children") as f:
                    kids = [int(k) for k in f.read().split()]
            except OSError:
                kids = []
            out += kids
            todo += kids
    return out


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def one_run(cwd, hold):
    t0 = time.monotonic()
    fd(cwd, "lab", "up")
    up = time.monotonic() - t0
    t1 = time.monotonic()
    fd(cwd, "drill", "start", "storefront-slow-flat-errors", "--seed", "1", "--warm-up", "0")
    deadline = time.monotonic() + 30
    while json.loads(fd(cwd, "drill", "status", "--json"))["phase"] != "active":
        if time.monotonic() > deadline:
            raise SystemExit("drill did not become active within 30 s")
        time.sleep(0.05)
    active = time.monotonic() - t1
    memory = None
    if hold:
        time.sleep(hold)  # the drill's load (60 rps) with faults active
        pointer = json.load(open(os.path.join(cwd, ".firedrill", "lab", "lab.json")))
        pids = [pointer["pid"]] + descendants(pointer["pid"])
        memory = {pid: (comm(pid), rss_mib(pid)) for pid in pids}
    fd(cwd, "drill", "stop")
    fd(cwd, "lab", "down")
    return up, active, memory


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--hold", type=int, default=20, help="seconds of drill before the memory sample")
    opts = ap.parse_args()
    ups, actives, memory = [], [], None
    for i in range(opts.runs):
        with tempfile.TemporaryDirectory() as cwd:
            up, active, mem = one_run(cwd, opts.hold if i == 0 else 0)
            ups.append(up)
            actives.append(active)
            memory = memory or mem
    print("| measure | result |\n|---|---|")
    print(f"| `lab up` to every service, loadgen and Prometheus ready ({opts.runs} runs) | median {statistics.median(ups):.2f} s (min {min(ups):.2f}, max {max(ups):.2f}) |")
    print(f"| `drill start --warm-up 0` to faults active in every service | median {statistics.median(actives):.2f} s (min {min(actives):.2f}, max {max(actives):.2f}) |")
    total = sum(rss for _, rss in memory.values())
    kinds = {}
    for name, rss in memory.values():
        kinds.setdefault(name, []).append(rss)
    print(f"| whole lab RSS after {opts.hold} s of storefront-slow-flat-errors (60 rps, faults active), {len(memory)} processes | {total:.0f} MiB |")
    for name, values in sorted(kinds.items(), key=lambda kv: -sum(kv[1])):
        print(f"| &nbsp; `{name}` x{len(values)} | {sum(values):.0f} MiB |")


if __name__ == "__main__":
    main()
