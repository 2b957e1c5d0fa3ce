#!/usr/bin/env python3
"""The kind lab's footprint, measured on loopback: RSS and CPU of each process the chart runs.

Starts the six services and loadgen from target/release as the chart runs them (one tokio
worker each, traces and logs exported over OTLP), the chart's own Jaeger config (rendered with
helm, moved to loopback ports) on the same Jaeger release as the chart's image, VictoriaLogs
(tools/victorialogs/ensure.sh, the chart image's release) with the chart's rendered args (its
listen address moved to loopback, its data path to a temporary directory) taking the services'
logs at the path of the chart's OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, and a Prometheus scraping
every process at the chart's interval with exemplar storage on. Drives 200 rps for --seconds,
samples RSS every 2 s, and prints a Markdown table for docs/kind.md "Footprint". Grafana does
not run here (no image, no Docker): its figures in docs/kind.md are marked as not measured.

Usage: make release && tools/helm/ensure.sh && tools/jaeger/ensure.sh &&
       tools/victorialogs/ensure.sh && python3 tools/bench/kind_footprint.py [--seconds 120] [--rate 200]
"""
import argparse, os, re, statistics, subprocess, sys, tempfile, time, urllib.parse

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab_bench  # noqa: E402  (same directory: the services' launcher and helpers)

ROOT = lab_bench.ROOT


def ensure(tool):
    """The binary's path as tools/<tool>/ensure.sh prints it (built on first use)."""
    out = subprocess.run([os.path.join(ROOT, "tools", tool, "ensure.sh")], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def helm_values(key):
    """A scalar from the chart's values.yaml (`prometheus.scrapeInterval` style, two levels)."""
    section, name = key.split(".")
    text = open(os.path.join(ROOT, "charts/firedrill/values.yaml")).read()
    block = text.split(f"\n{section}:\n", 1)[1]
    return re.search(rf"^\s+{name}:\s*(\S+)", block, re.M).group(1)


def rendered(template):
    """The chart's objects from one template, rendered by helm with the default values."""
    out = subprocess.run([ensure("helm"), "template", "fd", os.path.join(ROOT, "charts/firedrill"),
                          "--show-only", f"templates/{template}"], capture_output=True, text=True, check=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def container(docs, name):
    deployment = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == name)
    return deployment["spec"]["template"]["spec"]["containers"][0]


def jaeger_config(ports):
    config = next(d for d in rendered("jaeger.yaml") if d["kind"] == "ConfigMap")["data"]["jaeger.yaml"]
    for port, free in ports.items():
        config = config.replace(f"0.0.0.0:{port}", f"127.0.0.1:{free}")
    return config


def victorialogs_args(port, data):
    """The chart's VictoriaLogs args, listen address and data path moved; every other flag as rendered."""
    moved = {"-httpListenAddr": f"127.0.0.1:{port}", "-storageDataPath": data}
    args = container(rendered("victorialogs.yaml"), "victorialogs")["args"]
    return [f"{a.split('=', 1)[0]}={moved[a.split('=', 1)[0]]}" if a.split("=", 1)[0] in moved else a for a in args]


def logs_path():
    """The path of the services' OTEL_EXPORTER_OTLP_LOGS_ENDPOINT as the chart renders it."""
    env = container(rendered("services.yaml"), "api")["env"]
    url = next(e["value"] for e in env if e["name"] == "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT")
    return urllib.parse.urlsplit(url).path


def wait_http(url, what, deadline_s=30):
    end = time.time() + deadline_s
    while time.time() < end:
        try:
            lab_bench.http("GET", url, timeout=1)
            return
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not answer {url} within {deadline_s}s")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ingested(vl_port):
    """VictoriaLogs' own count of OTLP log rows and bytes ingested."""
    text = lab_bench.http("GET", f"http://127.0.0.1:{vl_port}/metrics")
    kind = {"type": "opentelemetry_protobuf"}
    return (lab_bench.metric(text, "vl_rows_ingested_total", **kind),
            lab_bench.metric(text, "vl_bytes_ingested_total", **kind))


def start_backends(logdir, jports, vl_port):
    """Jaeger and VictoriaLogs, both answering their health checks."""
    log = lambda n: open(os.path.join(logdir, f"{n}.log"), "w")
    extra = {}
    with open(os.path.join(logdir, "jaeger.yaml"), "w") as f:
        f.write(jaeger_config(jports))
    jaeger_env = dict(os.environ, GOMEMLIMIT=helm_values("jaeger.goMemLimit"))
    extra["jaeger"] = subprocess.Popen([ensure("jaeger"), "--config", f.name], env=jaeger_env,
                                       stdout=log("jaeger"), stderr=subprocess.STDOUT)
    extra["victorialogs"] = subprocess.Popen(
        [ensure("victorialogs")] + victorialogs_args(vl_port, os.path.join(logdir, "vlogs")),
        stdout=log("victorialogs"), stderr=subprocess.STDOUT)
    wait_http(f"http://127.0.0.1:{jports[13133]}/status", "jaeger")
    wait_http(f"http://127.0.0.1:{vl_port}/health", "victorialogs")
    return extra


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=120)
    ap.add_argument("--rate", type=float, default=200)
    opts = ap.parse_args()
    logdir = tempfile.mkdtemp(prefix="firedrill-footprint-")
    free = lab_bench.free_port
    jports, vl_port = {4318: free(), 16686: free(), 16685: free(), 13133: free()}, free()
    os.environ.update({
        "TOKIO_WORKER_THREADS": "1",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"http://127.0.0.1:{jports[4318]}/v1/traces",
        "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": f"http://127.0.0.1:{vl_port}{logs_path()}",
    })
    extra = start_backends(logdir, jports, vl_port)
    lab = None
    try:
        lab = lab_bench.Lab(logdir)
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
        samples = {n: [] for n in procs}
        start, (rows0, bytes0) = time.time(), ingested(vl_port)
        while time.time() - start < opts.seconds:
            for n, p in procs.items():
                samples[n].append(lab_bench.rss_mib(p.pid))
            time.sleep(2)
        elapsed = time.time() - start
        cores = {n: (cpu_seconds(p.pid) - start_cpu[n]) / elapsed for n, p in procs.items()}
        ok = lab_bench.metric(lab.scrape("loadgen"), "loadgen_requests_total", outcome="ok")
        rows, nbytes = ingested(vl_port)
    finally:
        if lab:
            lab.stop()
        for p in extra.values():
            p.terminate()
            p.wait(timeout=10)
    peak = {n: max(s) for n, s in samples.items()}
    # Steady: the median of the second half's samples, once start-up and warm-up are behind.
    steady = {n: statistics.median(s[len(s) // 2:]) for n, s in samples.items()}
    print(f"| process | peak RSS (MiB) | steady RSS (MiB) | mean CPU (cores) |  ({opts.rate:.0f} rps offered for "
          f"{elapsed:.0f} s; {ok:.0f} ok responses; VictoriaLogs ingested {(rows - rows0) / elapsed:.0f} log "
          f"records/s, {(nbytes - bytes0) / 1024 / elapsed:.1f} KiB/s by vl_bytes_ingested_total)\n|---|---|---|---|")
    for n in procs:
        print(f"| {n} | {peak[n]:.1f} | {steady[n]:.1f} | {cores[n]:.3f} |")
    print(f"| total | {sum(peak.values()):.1f} | {sum(steady.values()):.1f} | {sum(cores.values()):.2f} |")
    print(f"\n(logs in {logdir})", file=sys.stderr)


if __name__ == "__main__":
    main()
