//! warehouse's router and `--help` agree with the lab's topology (firedrill_drill::topology),
//! which scenario validation, the local lab and the Helm chart rely on: a route, call or flag
//! added to warehouse without the topology (or the other way round) fails here.

use firedrill_drill::topology::conformance;
use firedrill_runtime::telemetry::Metrics;
use std::time::Duration;

#[test]
fn the_router_serves_the_topologys_routes() {
    let settings = firedrill_warehouse::Settings { connections: 1, storage_latency: Duration::ZERO };
    let router = firedrill_warehouse::router(settings, &Metrics::new());
    conformance::assert_routes("warehouse", router.templates().iter().map(|(m, t)| (m.as_str(), *t)));
}

#[test]
fn help_names_the_topologys_routes_calls_and_flags() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_warehouse")).arg("--help").output();
    conformance::assert_help("warehouse", &help.expect("warehouse runs"));
}
