#!/usr/bin/env python3
"""The kind lab's footprint, measured on loopback: RSS and CPU of each process the chart runs.

Starts the six services and loadgen from target/release as the chart runs them (one tokio
worker each, traces exported over OTLP), the chart's own Jaeger config (rendered with helm,
moved to loopback ports) on the same Jaeger release as the chart's image, a Prometheus
scraping every process at the chart's interval with exemplar storage on, and an OTLP log sink
standing in for VictoriaLogs (it counts the bytes the services ship). Drives 200 rps for
--seconds, samples RSS every 2 s, and prints a Markdown table for docs/kind.md "Footprint".
Grafana and VictoriaLogs do not run here (no images, no Docker): their figures in docs/kind.md
are marked as not measured.

Usage: make release && python3 tools/bench/kind_footprint.py [--seconds 120] [--rate 200]
"""
import argparse, http.server, os, re, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab_bench  # noqa: E402  (same directory: the services' launcher and helpers)

ROOT = lab_bench.ROOT
CACHE = os.environ.get("FIREDRILL_TOOLS_CACHE", os.path.expanduser("~/.cache/firedrill/tools"))


def version(path, key):
    for line in open(os.path.join(ROOT, path)):
        if line.startswith(key + "="):
            return line.split("=", 1)[1].strip()
    raise SystemExit(f"{key} not in {path}")


def helm_values(key):
    """A scalar from the chart's values.yaml (`prometheus.scrapeInterval` style, two levels)."""
    section, name = key.split(".")
    text = open(os.path.join(ROOT, "charts/firedrill/values.yaml")).read()
    block = text.split(f"\n{section}:\n", 1)[1]
    return re.search(rf"^\s+{name}:\s*(\S+)", block, re.M).group(1)


def jaeger_config(ports):
    helm = subprocess.run([os.path.join(ROOT, "tools/helm/ensure.sh")], capture_output=True, text=True, check=True)
    out = subprocess.run([helm.stdout.strip(), "template", "fd", os.path.join(ROOT, "charts/firedrill"),
                          "--show-only", "templates/jaeger.yaml"], capture_output=True, text=True, check=True).stdout
    config = out.split("jaeger.yaml: |\n", 1)[1].split("\n---", 1)[0]
    config = "\n".join(line[4:] for line in config.splitlines())
    for port, free in ports.items():
        config = config.replace(f"0.0.0.0:{port}", f"127.0.0.1:{free}")
    return config


class Sink(http.server.BaseHTTPRequestHandler):
    """Accepts OTLP/HTTP log exports and counts their bytes."""
    received = 0

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        self.rfile.read(n)
        Sink.received += n
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=120)
    ap.add_argument("--rate", type=float, default=200)
    opts = ap.parse_args()
    logdir = tempfile.mkdtemp(prefix="firedrill-footprint-")
    free = lab_bench.free_port
    jports = {4318: free(), 16686: free(), 16685: free(), 13133: free()}
    sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    os.environ.update({
        "TOKIO_WORKER_THREADS": "1",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"http://127.0.0.1:{jports[4318]}/v1/traces",
        "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": f"http://127.0.0.1:{sink.server_address[1]}/v1/logs",
    })
    extra = {}
    jaeger_bin = os.path.join(CACHE, f"jaeger-{version('tools/jaeger/versions.env', 'JAEGER_VERSION')}", "jaeger")
    with open(os.path.join(logdir, "jaeger.yaml"), "w") as f:
        f.write(jaeger_config(jports))
    jaeger_env = dict(os.environ, GOMEMLIMIT=helm_values("jaeger.goMemLimit"))
    extra["jaeger"] = subprocess.Popen([jaeger_bin, "--config", f.name], env=jaeger_env,
                                       stdout=open(os.path.join(logdir, "jaeger.log"), "w"), stderr=subprocess.STDOUT)
    time.sleep(2)
    lab = lab_bench.Lab(logdir)
    try:
        lab.loadgen(opts.rate, "product=9,checkout=1", 512, logdir)
        targets = ", ".join(f"'127.0.0.1:{p}'" for p in lab.ports.values())
        interval = helm_values("prometheus.scrapeInterval")
        with open(os.path.join(logdir, "prometheus.yml"), "w") as f:
            f.write(f"global:\n  scrape_interval: {interval}\nscrape_configs:\n  - job_name: lab\n"
                    f"    static_configs:\n      - targets: [{targets}]\n")
        extra["prometheus"] = subprocess.Popen(
            ["prometheus", f"--config.file={f.name}", f"--storage.tsdb.path={logdir}/tsdb",
             f"--web.listen-address=127.0.0.1:{free()}", "--enable-feature=exemplar-storage"],
            stdout=open(os.path.join(logdir, "prometheus.log"), "w"), stderr=subprocess.STDOUT)
        procs = dict(lab.procs, **extra)
        start_cpu = {n: cpu_seconds(p.pid) for n, p in procs.items()}
        peak = {n: 0.0 for n in procs}
        start, log_bytes0 = time.time(), Sink.received
        while time.time() - start < opts.seconds:
            for n, p in procs.items():
                peak[n] = max(peak[n], lab_bench.rss_mib(p.pid))
            time.sleep(2)
        elapsed = time.time() - start
        cores = {n: (cpu_seconds(p.pid) - start_cpu[n]) / elapsed for n, p in procs.items()}
        ok = lab_bench.metric(lab.scrape("loadgen"), "loadgen_requests_total", outcome="ok")
        logs_kib_s = (Sink.received - log_bytes0) / 1024 / elapsed
    finally:
        lab.stop()
        for p in extra.values():
            p.terminate()
            p.wait(timeout=10)
        sink.shutdown()
    print(f"| process | peak RSS (MiB) | mean CPU (cores) |  ({opts.rate:.0f} rps offered for {elapsed:.0f} s; "
          f"{ok:.0f} ok responses; OTLP logs {logs_kib_s:.1f} KiB/s)\n|---|---|---|")
    for n in procs:
        print(f"| {n} | {peak[n]:.1f} | {cores[n]:.3f} |")
    print(f"| total | {sum(peak.values()):.1f} | {sum(cores.values()):.2f} |")
    print(f"\n(logs in {logdir})", file=sys.stderr)


if __name__ == "__main__":
    main()
