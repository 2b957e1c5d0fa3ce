//! The Helm chart runs the lab's services as the topology describes them: the same services,
//! each with one `--<dependency>-url` flag per service it calls and the same client and tuning
//! flags as the local lab. values.yaml is written by hand, so this is what keeps it honest.

use firedrill_drill::topology::conformance;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Values {
    services: BTreeMap<String, ChartService>,
}

#[derive(Deserialize)]
struct ChartService {
    dependencies: BTreeMap<String, String>,
    args: Vec<String>,
}

fn values() -> Values {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../charts/firedrill/values.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_chart_runs_the_topologys_services_with_their_flags() {
    let values = values();
    let mut problems = conformance::service_names(values.services.keys().map(String::as_str));
    for (name, svc) in &values.services {
        problems.extend(conformance::deployment(name, &svc.dependencies, &svc.args));
    }
    assert!(problems.is_empty(), "charts/firedrill/values.yaml disagrees with the topology:\n{}", problems.join("\n"));
}
