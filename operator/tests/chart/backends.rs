//! The observability configs the chart ships, checked by the real programs where they are
//! installed here: Jaeger's config by the same Jaeger release (`jaeger validate`, then run),
//! the Prometheus config and the dashboard's queries by promtool (VictoriaLogs: see
//! victorialogs.rs); and the wiring between them (datasource uids, scrape labels the
//! scenarios' signals query) checked structurally.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::loopback::{JSON, Running, free_port, http, ok, poll};
use crate::render::{documents, label, of_kind, root, template, values_files};
pub use crate::support::tools::{pinned, tool};

/// `data[key]` of the rendered ConfigMap `name`.
fn config_map(docs: &[serde_yaml::Value], name: &str, key: &str) -> Option<String> {
    of_kind(docs, "ConfigMap").into_iter().find(|c| c["metadata"]["name"] == name)?["data"][key]
        .as_str()
        .map(String::from)
}

pub fn defaults() -> Vec<serde_yaml::Value> {
    documents(&template("firedrill-system", &None, &[]))
}

fn write_temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("firedrill-chart-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn jaeger() -> Option<PathBuf> {
    tool("jaeger", "tools/jaeger/versions.env", "JAEGER_VERSION")
}

/// The first container of the rendered Deployment `name`.
pub fn container<'a>(docs: &'a [serde_yaml::Value], name: &str) -> &'a serde_yaml::Value {
    let deployment = of_kind(docs, "Deployment").into_iter().find(|d| d["metadata"]["name"] == name);
    &deployment.unwrap_or_else(|| panic!("no Deployment {name}"))["spec"]["template"]["spec"]["containers"][0]
}

fn run_ok(program: &Path, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    assert!(
        out.status.success(),
        "{} {} failed:\n{}{}",
        program.display(),
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn jaeger_accepts_the_charts_config() {
    let Some(jaeger) = jaeger() else {
        eprintln!("SKIPPED: no Jaeger in the tools cache (tools/jaeger/ensure.sh builds it)");
        return;
    };
    let config = config_map(&defaults(), "jaeger", "jaeger.yaml").expect("the jaeger ConfigMap");
    let file = write_temp("jaeger.yaml", &config);
    run_ok(&jaeger, &["validate", "--config", &file.display().to_string()]);
    // The check can fail: a broken config is refused.
    let broken = write_temp("jaeger-broken.yaml", &config.replace("jaeger_storage_exporter:", "no_such_exporter:"));
    let out = Command::new(&jaeger).args(["validate", "--config", &broken.display().to_string()]).output().unwrap();
    assert!(!out.status.success(), "jaeger validate accepts anything");
}

fn promtool() -> PathBuf {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("promtool"))
        .find(|p| p.is_file());
    // .ci/run installs Debian's prometheus package, which ships promtool.
    found.expect("promtool is needed (Debian: apt-get install prometheus)")
}

#[test]
fn promtool_accepts_the_scrape_config_and_the_dashboards_queries() {
    let docs = defaults();
    let config = config_map(&docs, "prometheus", "prometheus.yml").expect("the prometheus ConfigMap");
    // Debian's Prometheus is built without Kubernetes discovery, so promtool checks the config
    // with the discovery block swapped for a static target; the block itself is checked below.
    let mut parsed: serde_yaml::Value = serde_yaml::from_str(&config).unwrap();
    let job = &mut parsed["scrape_configs"][0];
    let sd = job.as_mapping_mut().unwrap().remove("kubernetes_sd_configs").expect("pod discovery");
    assert_eq!(sd[0]["role"], "pod");
    assert_eq!(sd[0]["namespaces"]["names"].as_sequence().map(Vec::len), Some(2), "the lab and control namespaces");
    job["static_configs"] = serde_yaml::from_str("[{targets: ['127.0.0.1:8080']}]").unwrap();
    let file = write_temp("prometheus.yml", &serde_yaml::to_string(&parsed).unwrap());
    run_ok(&promtool(), &["check", "config", "--syntax-only", &file.display().to_string()]);

    let dashboard = config_map(&docs, "grafana-dashboards", "red.json").expect("the dashboard ConfigMap");
    let dashboard: serde_json::Value = serde_json::from_str(&dashboard).expect("the dashboard is JSON");
    let exprs: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().unwrap().iter().map(|t| t["expr"].as_str().unwrap().to_string()))
        .collect();
    assert!(exprs.len() >= 4, "rate, errors, duration and the users' view");
    // Grafana's variables, replaced by what they expand to, then each query checked as a rule.
    let rules: String = exprs
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let e = e.replace("$__rate_interval", "1m").replace("$job", ".+");
            format!("      - record: dashboard:query{i}\n        expr: {}\n", serde_json::to_string(&e).unwrap())
        })
        .collect();
    let rules = write_temp("dashboard-rules.yml", &format!("groups:\n  - name: dashboard\n    rules:\n{rules}"));
    run_ok(&promtool(), &["check", "rules", &rules.display().to_string()]);
}

/// Every datasource uid a link or panel points at is one Grafana provisions, for every values
/// file that installs Grafana.
#[test]
fn grafana_links_point_at_provisioned_datasources() {
    for values in values_files() {
        let docs = documents(&template("firedrill-system", &values, &[]));
        let Some(text) = config_map(&docs, "grafana-provisioning", "datasources.yaml") else { continue };
        let provisioned: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let sources = provisioned["datasources"].as_sequence().cloned().unwrap_or_default();
        let uids: BTreeSet<&str> = sources.iter().filter_map(|d| d["uid"].as_str()).collect();
        let mut wanted = Vec::new();
        for d in &sources {
            let j = &d["jsonData"];
            wanted.extend(
                j["exemplarTraceIdDestinations"].as_sequence().into_iter().flatten().map(|x| &x["datasourceUid"]),
            );
            wanted.push(&j["tracesToLogsV2"]["datasourceUid"]);
            wanted.extend(j["derivedFields"].as_sequence().into_iter().flatten().map(|x| &x["datasourceUid"]));
        }
        for uid in wanted.into_iter().filter_map(|u| u.as_str()) {
            assert!(uids.contains(uid), "{}: a link points at datasource `{uid}`, not provisioned", label(&values));
        }
        let dashboard = config_map(&docs, "grafana-dashboards", "red.json").unwrap();
        for uid in dashboard.split("\"uid\": \"").skip(1).map(|s| s.split('"').next().unwrap()) {
            assert!(
                uid == "firedrill-red" || uids.contains(uid),
                "{}: dashboard uses datasource `{uid}`",
                label(&values)
            );
        }
    }
}

/// The scenarios' signals select `job="<service>"`; the chart's relabelling makes `job` the
/// pod's app.kubernetes.io/name, so every such job must be a Deployment's pod label whose pod
/// has a port Prometheus keeps (named `http`).
#[test]
fn every_job_a_scenario_signal_queries_is_scraped() {
    let docs = defaults();
    let config = config_map(&docs, "prometheus", "prometheus.yml").unwrap();
    let parsed: serde_yaml::Value = serde_yaml::from_str(&config).unwrap();
    let relabel = parsed["scrape_configs"][0]["relabel_configs"].as_sequence().unwrap();
    let job = relabel.iter().find(|r| r["target_label"] == "job").expect("a relabel rule for `job`");
    assert_eq!(job["source_labels"][0], "__meta_kubernetes_pod_label_app_kubernetes_io_name");
    let mut scraped = BTreeSet::new();
    for d in of_kind(&docs, "Deployment") {
        let pod = &d["spec"]["template"];
        let named_http =
            pod["spec"]["containers"][0]["ports"].as_sequence().into_iter().flatten().any(|p| p["name"] == "http");
        if named_http && pod["metadata"]["labels"]["app.kubernetes.io/part-of"] == "firedrill" {
            scraped.insert(pod["metadata"]["labels"]["app.kubernetes.io/name"].as_str().unwrap().to_string());
        }
    }
    let mut queried = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("scenarios")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for part in text.split("job=\"").skip(1) {
            queried.insert(part.split('"').next().unwrap().to_string());
        }
    }
    assert!(queried.len() >= 3, "the scenarios query jobs: {queried:?}");
    let missing: Vec<_> = queried.difference(&scraped).collect();
    assert!(missing.is_empty(), "scenario signals query jobs no pod provides: {missing:?} (scraped: {scraped:?})");
}

/// The chart's Jaeger config started on the same Jaeger release (on loopback ports): the
/// readiness probe's path answers 200 on the health port, and the OTLP receiver takes spans.
#[test]
fn jaeger_starts_with_the_charts_config_and_its_probe_answers() {
    let Some(jaeger) = jaeger() else {
        eprintln!("SKIPPED: no Jaeger in the tools cache (tools/jaeger/ensure.sh builds it)");
        return;
    };
    let docs = defaults();
    let probe_path = container(&docs, "jaeger")["readinessProbe"]["httpGet"]["path"].as_str().unwrap().to_string();
    let mut config = config_map(&docs, "jaeger", "jaeger.yaml").unwrap();
    let mut ports = BTreeMap::new();
    for port in ["13133", "16686", "16685", "4318"] {
        let free = free_port();
        config = config.replace(&format!("0.0.0.0:{port}"), &format!("127.0.0.1:{free}"));
        ports.insert(port, free);
    }
    let file = write_temp("jaeger-run.yaml", &config);
    let _jaeger = Running::spawn(Command::new(&jaeger).args(["--config", &file.display().to_string()]), None);
    let health = poll(Duration::from_secs(30), || ok(http(ports["13133"], "GET", &probe_path, JSON, b"")));
    let otlp = http(ports["4318"], "POST", "/v1/traces", JSON, b"{}").map(|r| r.0);
    assert!(health.is_some(), "GET {probe_path} on the health port never answered 200");
    assert_eq!(otlp, Some(200), "the OTLP/HTTP receiver takes an (empty) export");
}
