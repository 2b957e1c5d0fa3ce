//! The files around the chart agree with it and with each other: kind-config.yaml maps every
//! NodePort the chart opens, the example CI workflow builds that cluster and calls Makefile
//! targets that exist, the Dockerfile builds what the tests build and ships every binary the
//! chart runs, and the Makefile's kind targets say what is missing instead of failing obscurely.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use crate::render::{documents, of_kind, root, template};

pub(crate) fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> serde_yaml::Value {
    serde_yaml::from_str(&read(path)).unwrap_or_else(|e| panic!("{path} does not parse: {e}"))
}

/// NodePort -> Service port of the default render.
fn node_ports() -> BTreeMap<u64, u64> {
    let docs = documents(&template("firedrill-system", &None, &[]));
    of_kind(&docs, "Service")
        .into_iter()
        .filter(|s| s["spec"]["type"] == "NodePort")
        .flat_map(|s| s["spec"]["ports"].as_sequence().unwrap().clone())
        .filter_map(|p| Some((p["nodePort"].as_u64()?, p["port"].as_u64()?)))
        .collect()
}

#[test]
fn kind_config_maps_every_node_port_to_the_same_port_on_localhost() {
    let kind = yaml("kind-config.yaml");
    assert_eq!(kind["kind"], "Cluster");
    assert_eq!(kind["apiVersion"], "kind.x-k8s.io/v1alpha4");
    let nodes = kind["nodes"].as_sequence().expect("nodes");
    assert!(nodes.iter().filter(|n| n["role"] == "worker").count() >= 2, "replicas spread over two workers");
    let mappings: BTreeMap<u64, u64> = nodes
        .iter()
        .flat_map(|n| n["extraPortMappings"].as_sequence().cloned().unwrap_or_default())
        .map(|m| (m["containerPort"].as_u64().unwrap(), m["hostPort"].as_u64().unwrap()))
        .collect();
    let chart = node_ports();
    assert_eq!(chart.len(), 5, "Grafana, Prometheus, Jaeger, VictoriaLogs and the game-day screen: {chart:?}");
    // Same numbers on localhost as inside the cluster: http://localhost:9090 is Prometheus.
    assert_eq!(mappings, chart, "kind-config.yaml containerPort->hostPort vs the chart's nodePort->port");
    let notes = std::fs::read_to_string(crate::render::chart().join("templates/NOTES.txt")).unwrap();
    for host_port in mappings.values() {
        assert!(notes.contains(&format!("localhost:{host_port}")), "NOTES.txt tells players about :{host_port}");
    }
}

#[test]
fn the_ci_workflow_builds_the_kind_cluster_and_calls_real_make_targets() {
    let workflow = yaml("examples/ci/firedrill-kind.yaml");
    let cluster = yaml("kind-config.yaml")["name"].as_str().unwrap().to_string();
    let steps: Vec<&serde_yaml::Value> =
        workflow["jobs"].as_mapping().unwrap().values().flat_map(|j| j["steps"].as_sequence().unwrap()).collect();
    let kind = steps
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("helm/kind-action@")))
        .expect("a step using kind's GitHub Action");
    assert_eq!(kind["with"]["config"], "kind-config.yaml");
    assert_eq!(kind["with"]["cluster_name"].as_str(), Some(cluster.as_str()), "the Makefile's KIND_CLUSTER");
    let targets = make_targets();
    let mut called = Vec::new();
    for run in steps.iter().filter_map(|s| s["run"].as_str()) {
        for line in run.lines().map(str::trim).filter(|l| l.starts_with("make ")) {
            let target = line.split_whitespace().nth(1).unwrap().to_string();
            assert!(targets.contains(&target), "the workflow calls `make {target}`, which the Makefile lacks");
            called.push(target);
        }
    }
    assert_eq!(called, ["up", "verify-kind"], "install the lab, then the regression");
    let makefile = read("Makefile");
    assert!(makefile.contains(&format!("KIND_CLUSTER ?= {cluster}")), "make up reuses the workflow's cluster");
}

fn make_targets() -> BTreeSet<String> {
    read("Makefile")
        .lines()
        .filter_map(|l| l.split_once(':').map(|(t, _)| t))
        .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        .map(String::from)
        .collect()
}

/// The recipe lines of a Makefile target.
fn recipe(target: &str) -> Vec<String> {
    let makefile = read("Makefile");
    let mut lines = makefile.lines().skip_while(|l| !l.starts_with(&format!("{target}:"))).skip(1);
    std::iter::from_fn(|| lines.next().filter(|l| l.starts_with('\t')).map(|l| l.trim().to_string())).collect()
}

#[test]
fn the_dockerfile_builds_what_the_tests_build_and_ships_what_the_chart_runs() {
    let dockerfile = read("Dockerfile");
    // The image's binaries come from `make release`, the recipe `make verify` runs the
    // scenarios with: same profile, same (default) features.
    assert!(dockerfile.contains("make release"), "the Dockerfile builds with `make release`");
    assert_eq!(recipe("release"), ["$(CARGO) build --release --bins"]);
    assert!(
        read("Makefile").lines().any(|l| l.starts_with("verify: release ")),
        "make verify runs the release binaries"
    );
    for flag in ["--features", "--no-default-features", "--all-features", "--profile"] {
        assert!(!dockerfile.contains(flag), "the Dockerfile changes the build with {flag}");
    }
    let shipped: BTreeSet<String> = dockerfile_binaries().into_iter().collect();
    let docs = documents(&template("firedrill-system", &None, &[]));
    let run: BTreeSet<String> = of_kind(&docs, "Deployment")
        .into_iter()
        .flat_map(|d| d["spec"]["template"]["spec"]["containers"].as_sequence().unwrap().clone())
        .filter_map(|c| c["command"][0].as_str()?.strip_prefix("/usr/local/bin/").map(String::from))
        .collect();
    assert!(run.len() >= 8, "six services, loadgen and the operator: {run:?}");
    let missing: Vec<_> = run.difference(&shipped).collect();
    assert!(missing.is_empty(), "the chart runs binaries the image lacks: {missing:?}");
    let bins = workspace_bins();
    let unknown: Vec<_> = shipped.difference(&bins).collect();
    assert!(unknown.is_empty(), "the Dockerfile copies binaries no crate builds: {unknown:?}");

    let values = yaml("charts/firedrill/values.yaml");
    let image =
        format!("{}:{}", values["image"]["repository"].as_str().unwrap(), values["image"]["tag"].as_str().unwrap());
    assert!(read("Makefile").contains(&format!("IMAGE ?= {image}")), "make images builds the chart's image {image}");
    let rust = dockerfile.lines().find_map(|l| l.strip_prefix("FROM rust:")).expect("a rust builder image");
    let minor = |v: &str| v.split('.').nth(1).and_then(|m| m.parse::<u32>().ok()).unwrap();
    let workspace = read("Cargo.toml");
    let wanted = workspace.lines().find_map(|l| l.strip_prefix("rust-version = \"")).unwrap().trim_end_matches('"');
    assert!(minor(rust) >= minor(wanted), "the builder's Rust {rust} is older than rust-version {wanted}");
}

/// The binaries the Dockerfile's build stage strips into the image (its `for bin in` loop).
pub(crate) fn dockerfile_binaries() -> Vec<String> {
    read("Dockerfile")
        .lines()
        .find(|l| l.contains("for bin in"))
        .expect("the Dockerfile's list of binaries")
        .split("for bin in")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// Binary names of the workspace: `[[bin]] name`s and `src/bin/*.rs` files.
fn workspace_bins() -> BTreeSet<String> {
    let mut bins = BTreeSet::new();
    let workspace: toml_lite::Doc = toml_lite::parse(&read("Cargo.toml"));
    for member in workspace.members {
        let manifest = read(&format!("{member}/Cargo.toml"));
        bins.extend(toml_lite::bin_names(&manifest));
        if let Ok(dir) = std::fs::read_dir(root().join(&member).join("src/bin")) {
            bins.extend(dir.map(|e| e.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned()));
        }
    }
    bins
}

/// Just enough TOML reading for the workspace's member list and `[[bin]]` names.
mod toml_lite {
    pub struct Doc {
        pub members: Vec<String>,
    }

    pub fn parse(text: &str) -> Doc {
        let list = text.split("members = [").nth(1).unwrap().split(']').next().unwrap();
        Doc {
            members: list
                .split(',')
                .map(|m| m.trim().trim_matches('"').to_string())
                .filter(|m| !m.is_empty())
                .collect(),
        }
    }

    pub fn bin_names(manifest: &str) -> Vec<String> {
        manifest
            .split("[[bin]]")
            .skip(1)
            .filter_map(|section| section.lines().find_map(|l| l.trim().strip_prefix("name = \"")))
            .map(|n| n.trim_end_matches('"').to_string())
            .collect()
    }
}

/// Without docker, kind, kubectl or helm, each kind target stops at once and names the tool
/// (run with an empty PATH, so nothing on this machine is touched even where Docker exists).
#[test]
fn make_kind_targets_name_the_missing_tool() {
    let make = which("make");
    let empty = std::env::temp_dir().join(format!("firedrill-empty-path-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    for (target, tool) in [
        ("images", "docker"),
        ("up", "docker"),
        ("drill", "kubectl"),
        ("debrief", "kubectl"),
        ("verify-kind", "kubectl"),
        ("down", "kind"),
    ] {
        let out = Command::new(&make).args(["-s", target]).current_dir(root()).env("PATH", &empty).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "make {target} succeeded without {tool}");
        assert!(
            stderr.contains(&format!("make {target}: '{tool}' is missing")) && stderr.contains("docs/kind.md"),
            "make {target}: {stderr}"
        );
    }
    let help = Command::new(&make).args(["-s", "help"]).current_dir(root()).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for target in ["images", "up", "drill", "debrief", "verify-kind", "down", "chart-check"] {
        assert!(help.lines().any(|l| l.trim_start().starts_with(target)), "make help lists {target}:\n{help}");
    }
}

fn which(program: &str) -> std::path::PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{program} not on PATH"))
}
