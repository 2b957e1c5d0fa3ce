//! Running the real helm on the chart: which values files exist, rendering, linting, and
//! splitting the output into documents.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("repository root")
}

pub fn chart() -> PathBuf {
    root().join("charts/firedrill")
}

/// The helm binary: `FIREDRILL_HELM`, else the one tools/helm/ensure.sh caches (built on
/// first use; about three minutes).
pub fn helm() -> &'static Path {
    static HELM: OnceLock<PathBuf> = OnceLock::new();
    HELM.get_or_init(|| {
        if let Some(path) = std::env::var_os("FIREDRILL_HELM") {
            return PathBuf::from(path);
        }
        let out = Command::new(root().join("tools/helm/ensure.sh")).output().expect("running tools/helm/ensure.sh");
        assert!(out.status.success(), "tools/helm/ensure.sh failed:\n{}", String::from_utf8_lossy(&out.stderr));
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

/// Every values file the chart checks cover: the defaults (`None`) and one per documented
/// option in charts/firedrill/ci/.
pub fn values_files() -> Vec<Option<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(chart().join("ci"))
        .expect("charts/firedrill/ci")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "expected a values file per documented option in charts/firedrill/ci");
    std::iter::once(None).chain(files.into_iter().map(Some)).collect()
}

/// A short name for a values file, for messages.
pub fn label(values: &Option<PathBuf>) -> String {
    values.as_ref().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).unwrap_or("defaults".into())
}

fn run_helm(args: &[String]) -> String {
    let out = Command::new(helm()).args(args).output().expect("running helm");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "helm {} failed:\n{stderr}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).expect("helm output is UTF-8")
}

fn values_args(values: &Option<PathBuf>, sets: &[(&str, &str)]) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(file) = values {
        args.extend(["--values".to_string(), file.display().to_string()]);
    }
    for (k, v) in sets {
        args.extend(["--set-string".to_string(), format!("{k}={v}")]);
    }
    args
}

/// `helm template` into `namespace` (the control namespace) with a values file and overrides.
/// CRDs are not in the output: helm installs charts/firedrill/crds before everything else, and
/// the tests install them from there too.
pub fn template(namespace: &str, values: &Option<PathBuf>, sets: &[(&str, &str)]) -> String {
    let mut args: Vec<String> =
        ["template", "firedrill", &chart().display().to_string(), "--namespace", namespace].map(String::from).into();
    args.extend(values_args(values, sets));
    run_helm(&args)
}

/// `helm template --show-only <template>`.
pub fn show_only(namespace: &str, template: &str, sets: &[(&str, &str)]) -> String {
    let mut args: Vec<String> =
        ["template", "firedrill", &chart().display().to_string(), "--namespace", namespace, "--show-only", template]
            .map(String::from)
            .into();
    args.extend(values_args(&None, sets));
    run_helm(&args)
}

/// `helm lint --strict` (warnings fail too); returns helm's report.
pub fn lint(values: &Option<PathBuf>) -> String {
    let mut args: Vec<String> = ["lint", "--strict", &chart().display().to_string(), "--namespace", "firedrill-system"]
        .map(String::from)
        .into();
    args.extend(values_args(values, &[]));
    run_helm(&args)
}

/// The YAML documents of a multi-document text, comments-only documents dropped.
pub fn documents(text: &str) -> Vec<serde_yaml::Value> {
    text.split("\n---")
        .filter(|d| d.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')))
        .map(|d| serde_yaml::from_str(d).unwrap_or_else(|e| panic!("rendered YAML does not parse: {e}\n{d}")))
        .filter(|v: &serde_yaml::Value| !v.is_null())
        .collect()
}

/// `kind/name` of a rendered object.
pub fn id(doc: &serde_yaml::Value) -> String {
    format!("{}/{}", doc["kind"].as_str().unwrap_or("?"), doc["metadata"]["name"].as_str().unwrap_or("?"))
}

/// Objects of one kind.
pub fn of_kind<'a>(docs: &'a [serde_yaml::Value], kind: &str) -> Vec<&'a serde_yaml::Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

#[test]
fn helm_lint_is_clean_for_every_values_file() {
    for values in values_files() {
        let report = lint(&values);
        assert!(report.contains("0 chart(s) failed"), "helm lint with {}:\n{report}", label(&values));
        assert!(!report.contains("[WARNING]") && !report.contains("[ERROR]"), "{}:\n{report}", label(&values));
    }
}

/// Bad values are refused before anything renders, naming the value (values.schema.json).
#[test]
fn bad_values_are_refused_with_the_path_of_the_value() {
    let cases = [
        ("logs.backend=loki", "/logs/backend"),
        ("services.inventory.replicas=0", "/services/inventory/replicas"),
        ("grafana.nodePort=3000", "/grafana/nodePort"),
        ("lab.namespace=Lab_NS", "/lab/namespace"),
        ("adminToken=short", "/adminToken"),
        ("prometheus.enabeld=false", "enabeld"),
    ];
    for (set, path) in cases {
        let args = ["template", "firedrill", &chart().display().to_string(), "--set", set];
        let out = Command::new(helm()).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "--set {set} rendered");
        assert!(stderr.contains(path), "--set {set}: the error names {path}: {stderr}");
    }
}

/// Callers of a service with several replicas get one address per replica, each a Service
/// selecting exactly that replica's pod, and spread their requests over them: through the
/// shared Service alone, kube-proxy balances kept-alive connections, and a replica can be left
/// without traffic (a fault aimed at it, unseen). CI once failed this way: replica-1-slow of
/// product-pages-partly-failing never showed on the cluster.
#[test]
fn callers_reach_every_replica_of_a_replicated_service_by_its_own_service() {
    let docs = documents(&template("firedrill-system", &None, &[]));
    let service = |name: &str| of_kind(&docs, "Service").into_iter().find(|s| s["metadata"]["name"] == name);
    let args_of = |name: &str| -> Vec<String> {
        let d = of_kind(&docs, "Deployment").into_iter().find(|d| d["metadata"]["name"] == name).unwrap();
        d["spec"]["template"]["spec"]["containers"][0]["args"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect()
    };
    for caller in ["api", "checkout"] {
        let args = args_of(caller);
        let urls: Vec<&str> = args.windows(2).filter(|w| w[0] == "--inventory-url").map(|w| w[1].as_str()).collect();
        assert_eq!(urls, ["inventory-0:8080", "inventory-1:8080", "inventory-2:8080"], "{caller}: {args:?}");
    }
    for i in 0..3 {
        let s = service(&format!("inventory-{i}")).unwrap_or_else(|| panic!("no Service inventory-{i}"));
        let selector = &s["spec"]["selector"];
        assert_eq!(selector["app.kubernetes.io/name"], "inventory");
        assert_eq!(selector["firedrill.dev/replica"], i.to_string().as_str(), "inventory-{i} selects only its replica");
    }
    assert!(service("inventory").is_some(), "the shared Service stays, for port-forward");
    assert!(args_of("inventory-0").windows(2).any(|w| w == ["--warehouse-url", "warehouse:8080"]));
    assert!(service("warehouse-0").is_none(), "a single-replica service gets no per-replica Service");
}
