#!/usr/bin/env python3
"""Lab benchmarks on loopback: full-chain throughput, RSS per service, fault precision.

Starts the six services and loadgen from target/release on free loopback ports, drives them
with loadgen, and reads everything from the services' own /metrics and /proc. Every phase is
bounded in time. Prints a Markdown table for docs/benchmarks.md.

Usage: cargo build --release --bins && python3 tools/bench/lab_bench.py [--seconds N]
"""
import argparse, json, os, re, secrets, signal, socket, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "target", "release")
TOKEN = secrets.token_hex(16)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, token=None, timeout=5):
    req = urllib.request.Request(url, method=method, data=body.encode() if body else None)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read().decode()


def metric(text, name, **labels):
    """Sum of samples of `name` whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        m = re.match(r'^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+([^\s#]+)', line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if all(got.get(k) == v for k, v in labels.items()):
            total += float(m.group(3))
    return total


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# The code-throughput run: the warehouse's simulated storage wait (the lab's deliberate
# capacity limit, ~4.8 ms per query over 16 connections) is set to zero and pools widened,
# so what is measured is our own code: HTTP, pools, retries, metrics, spans, logs.
NO_STORAGE_WAIT = {"warehouse": ["--storage-latency-ms", "0", "--connections", "256"], "*": ["--pool-size", "256"]}


class Lab:
    def __init__(self, logdir, extra=None):
        extra = extra or {}
        self.procs, self.ports, self.admin = {}, {}, {}
        names = ["warehouse", "inventory", "pricing", "payments", "checkout", "api"]
        for n in names:
            self.ports[n], self.admin[n] = free_port(), free_port()
        self.ports["loadgen"] = free_port()
        env = dict(os.environ, FIREDRILL_ADMIN_TOKEN=TOKEN, OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{free_port()}")
        addr = lambda n: f"127.0.0.1:{self.ports[n]}"
        deps = {
            "inventory": ["--warehouse-url", addr("warehouse")],
            "pricing": ["--warehouse-url", addr("warehouse")],
            "checkout": ["--inventory-url", addr("inventory"), "--payments-url", addr("payments")],
            "api": ["--inventory-url", addr("inventory"), "--pricing-url", addr("pricing"), "--checkout-url", addr("checkout")],
        }
        for n in names:
            args = [os.path.join(BIN, n), "--listen", addr(n), "--admin-listen", f"127.0.0.1:{self.admin[n]}"] + deps.get(n, [])
            args += extra.get(n, []) + extra.get("*", [])
            out = open(os.path.join(logdir, f"{n}.log"), "w")
            self.procs[n] = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        for n in names:
            self.wait_ready(n)

    def url(self, n, path):
        return f"http://127.0.0.1:{self.ports[n]}{path}"

    def wait_ready(self, n, deadline_s=15):
        end = time.time() + deadline_s
        while time.time() < end:
            try:
                http("GET", self.url(n, "/readyz"), timeout=1)
                return
            except Exception:
                time.sleep(0.05)
        raise SystemExit(f"{n} not ready within {deadline_s}s")

    def loadgen(self, rate, mix, max_in_flight, logdir):
        args = [os.path.join(BIN, "loadgen"), "--target", f"127.0.0.1:{self.ports['api']}", "--rate", str(rate),
                "--mix", mix, "--max-in-flight", str(max_in_flight), "--listen", f"127.0.0.1:{self.ports['loadgen']}"]
        out = open(os.path.join(logdir, "loadgen.log"), "w")
        self.procs["loadgen"] = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        self.wait_ready("loadgen")

    def set_rate(self, rps):
        http("PUT", self.url("loadgen", "/rate"), json.dumps({"rps": rps}))

    def scrape(self, n):
        return http("GET", self.url(n, "/metrics"))

    def fault(self, n, doc):
        return http("PUT", f"http://127.0.0.1:{self.admin[n]}/chaos/faults", doc, token=TOKEN)

    def stop(self):
        for p in self.procs.values():
            p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def window(lab, seconds, name, n="loadgen", **labels):
    before = metric(lab.scrape(n), name, **labels)
    time.sleep(seconds)
    return (metric(lab.scrape(n), name, **labels) - before) / seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=15, help="length of each measuring window")
    opts = ap.parse_args()
    logdir = tempfile.mkdtemp(prefix="firedrill-bench-")
    lab = Lab(logdir)
    rows = []
    try:
        time.sleep(2)
        idle = {n: rss_mib(p.pid) for n, p in lab.procs.items()}
        lab.loadgen(200, "product=9,checkout=1", 512, logdir)
        time.sleep(3)
        ok200 = window(lab, opts.seconds, "loadgen_requests_total", outcome="ok")
        busy = {n: rss_mib(p.pid) for n, p in lab.procs.items()}
        for n in idle:
            rows.append(f"| RSS `{n}` idle / at 200 rps | {idle[n]:.1f} MiB / {busy[n]:.1f} MiB |")
        rows.append(f"| loadgen RSS at 200 rps | {busy['loadgen']:.1f} MiB |")
        rows.append(f"| ok responses/s at 200 rps offered | {ok200:.0f} |")
        # Throughput: offer far more than the chain can take; what comes back ok is the capacity.
        lab.set_rate(6000)
        time.sleep(3)
        ok = window(lab, opts.seconds, "loadgen_requests_total", endpoint="product", outcome="ok")
        err = window(lab, 3, "loadgen_requests_total", endpoint="product", outcome="error")
        drops = metric(lab.scrape("loadgen"), "loadgen_dropped_total")
        rows.append(f"| full chain throughput (`GET /api/products/{{id}}`, 6000 rps offered) | {ok:.0f} ok/s ({err:.1f} errors/s, {drops:.0f} arrivals dropped at max in-flight) |")
        lab.set_rate(20)
        time.sleep(3)
        # Fault precision: 500 ms latency on pricing, seen from api's client side.
        base = precision_window(lab, opts.seconds)
        lab.fault("pricing", '{"generation":1,"leaseSeconds":120,"faults":[{"kind":"latency","delayMs":500}]}')
        time.sleep(2)
        faulted = precision_window(lab, opts.seconds)
        added = (faulted - base) * 1000
        rows.append(f"| fault precision: 500 ms latency on pricing, mean added at api's client | {added:.1f} ms ({(added - 500) / 5:+.2f}% of 500 ms; baseline {base * 1000:.1f} ms) |")
    finally:
        lab.stop()
    rows.append(code_throughput(logdir, opts.seconds))
    print("| measure | result |\n|---|---|")
    print("\n".join(rows))
    print(f"\n(logs in {logdir})", file=sys.stderr)


def code_throughput(logdir, seconds):
    """Full-chain throughput with the warehouse's simulated storage wait removed."""
    lab = Lab(logdir, NO_STORAGE_WAIT)
    try:
        lab.loadgen(6000, "product=1", 512, logdir)
        time.sleep(3)
        ok = window(lab, seconds, "loadgen_requests_total", endpoint="product", outcome="ok")
    finally:
        lab.stop()
    return f"| full chain throughput, warehouse storage wait 0 and pools 256 (our code only, telemetry on) | {ok:.0f} ok/s |"


def precision_window(lab, seconds):
    """Mean duration of api's calls to pricing over a window, in seconds."""
    s0 = lab.scrape("api")
    time.sleep(seconds)
    s1 = lab.scrape("api")
    name = "http_client_request_duration_seconds"
    dsum = metric(s1, name + "_sum", dependency="pricing") - metric(s0, name + "_sum", dependency="pricing")
    dcount = metric(s1, name + "_count", dependency="pricing") - metric(s0, name + "_count", dependency="pricing")
    return dsum / max(dcount, 1)


if __name__ == "__main__":
    main()
