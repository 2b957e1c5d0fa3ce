#!/usr/bin/env python3
"""The operator's RSS on a real control plane, for the chart's requests and limits.

Starts etcd and kube-apiserver from the tools cache (tools/kube/ensure.sh), installs the CRDs,
the chart's control and lab namespaces and the scenario catalog (rendered by helm), runs the
given firedrill-operator binary against it as cluster admin, starts a Drill, and samples the
operator's RSS every second. Prints peak and settled RSS.

Usage: python3 tools/bench/operator_footprint.py PATH/TO/firedrill-operator [--seconds 60]
"""
import argparse, json, os, ssl, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab_bench  # noqa: E402
import yaml  # noqa: E402  (python3-yaml)

ROOT = lab_bench.ROOT
CACHE = os.environ.get("FIREDRILL_TOOLS_CACHE", os.path.expanduser("~/.cache/firedrill/tools"))
TOKEN = "operator-footprint-admin"
CTX = ssl._create_unverified_context()


def versions():
    out = {}
    for line in open(os.path.join(ROOT, "tools/kube/versions.env")):
        if "=" in line and not line.startswith("#"):
            k, v = line.strip().split("=", 1)
            out[k] = v
    return out


def api(base, method, path, body=None, ctype="application/json"):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None)
    req.add_header("Authorization", f"Bearer {TOKEN}")
    req.add_header("Content-Type", ctype)
    with urllib.request.urlopen(req, context=CTX, timeout=10) as r:
        return json.loads(r.read() or b"{}")


def apply(base, obj):
    group_version, kind = obj["apiVersion"], obj["kind"]
    plural = {"Namespace": "namespaces", "CustomResourceDefinition": "customresourcedefinitions"}.get(kind, kind.lower() + "s")
    prefix = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
    ns = obj["metadata"].get("namespace")
    path = f"{prefix}/namespaces/{ns}/{plural}" if ns else f"{prefix}/{plural}"
    api(base, "PATCH", f"{path}/{obj['metadata']['name']}?fieldManager=bench&force=true", obj, "application/apply-patch+yaml")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("operator")
    ap.add_argument("--seconds", type=int, default=60)
    opts = ap.parse_args()
    v, d = versions(), tempfile.mkdtemp(prefix="firedrill-operator-bench-")
    etcd_port, peer, api_port = lab_bench.free_port(), lab_bench.free_port(), lab_bench.free_port()
    procs = [subprocess.Popen([f"{CACHE}/etcd-{v['ETCD_VERSION']}/etcd", "--data-dir", f"{d}/etcd",
                               "--listen-client-urls", f"http://127.0.0.1:{etcd_port}", "--advertise-client-urls", f"http://127.0.0.1:{etcd_port}",
                               "--listen-peer-urls", f"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                               "--initial-cluster", f"default=http://127.0.0.1:{peer}", "--unsafe-no-fsync", "--log-level", "warn"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    open(f"{d}/tokens.csv", "w").write(f'{TOKEN},admin,1,"system:masters"\n')
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-out", f"{d}/sa.key"], check=True, capture_output=True)
    procs.append(subprocess.Popen([f"{CACHE}/kube-apiserver-{v['KUBE_VERSION']}/kube-apiserver", f"--etcd-servers=http://127.0.0.1:{etcd_port}",
                                   f"--secure-port={api_port}", "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
                                   f"--cert-dir={d}/certs", f"--token-auth-file={d}/tokens.csv", "--authorization-mode=RBAC",
                                   f"--service-account-key-file={d}/sa.key", f"--service-account-signing-key-file={d}/sa.key",
                                   "--service-account-issuer=https://kubernetes.default.svc", "--service-cluster-ip-range=10.0.0.0/24",
                                   "--disable-admission-plugins=ServiceAccount"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    base = f"https://127.0.0.1:{api_port}"
    try:
        for _ in range(120):
            try:
                api(base, "GET", "/readyz")
                break
            except Exception:
                time.sleep(0.5)
        crds = os.path.join(ROOT, "charts/firedrill/crds")
        for f in sorted(os.listdir(crds)):
            apply(base, yaml.safe_load(open(os.path.join(crds, f))))
        time.sleep(3)  # CRDs established
        helm = subprocess.run([os.path.join(ROOT, "tools/helm/ensure.sh")], capture_output=True, text=True, check=True).stdout.strip()
        rendered = subprocess.run([helm, "template", "fd", os.path.join(ROOT, "charts/firedrill"), "-n", "firedrill-system",
                                   "--show-only", "templates/lab-namespace.yaml", "--show-only", "templates/scenarios.yaml",
                                   "--show-only", "templates/admin-token.yaml",
                                   "--set", "lab.networkPolicy=false"], capture_output=True, text=True, check=True).stdout
        apply(base, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "firedrill-system"}})
        for doc in yaml.safe_load_all(rendered):
            if doc:
                apply(base, doc)
        kubeconfig = f"{d}/kubeconfig"
        open(kubeconfig, "w").write(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "b",
            "clusters": [{"name": "b", "cluster": {"server": base, "insecure-skip-tls-verify": True}}],
            "users": [{"name": "u", "user": {"token": TOKEN}}],
            "contexts": [{"name": "b", "context": {"cluster": "b", "user": "u"}}]}))
        op = subprocess.Popen([opts.operator, "--metrics-addr", f"127.0.0.1:{lab_bench.free_port()}"],
                              env=dict(os.environ, KUBECONFIG=kubeconfig), stdout=open(f"{d}/operator.log", "w"), stderr=subprocess.STDOUT)
        procs.append(op)
        time.sleep(5)
        apply(base, {"apiVersion": "firedrill.dev/v1alpha1", "kind": "Drill",
                     "metadata": {"name": "bench", "namespace": "firedrill-lab"}, "spec": {"scenario": "storefront-slow-flat-errors"}})
        samples = []
        for _ in range(opts.seconds):
            samples.append(lab_bench.rss_mib(op.pid))
            time.sleep(1)
        print(f"operator RSS over {opts.seconds} s with the catalog and one drill: peak {max(samples):.1f} MiB, "
              f"last {samples[-1]:.1f} MiB")
    finally:
        for p in reversed(procs):
            p.terminate()
            p.wait(timeout=10)
        print(f"(files in {d})", file=sys.stderr)


if __name__ == "__main__":
    main()
