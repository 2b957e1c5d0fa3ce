//! pricing's router and `--help` agree with the lab's topology (firedrill_drill::topology),
//! which scenario validation, the local lab and the Helm chart rely on: a route, call or flag
//! added to pricing without the topology (or the other way round) fails here.

use firedrill_drill::topology::conformance;
use firedrill_runtime::client::ClientPolicy;
use firedrill_runtime::telemetry::TelemetryConfig;
use firedrill_runtime::{Service, ServiceConfig};
use std::time::Duration;

#[test]
fn the_router_serves_the_topologys_routes() {
    let svc = service("pricing");
    let cache = firedrill_pricing::CacheSettings { capacity: 10, ttl: Duration::from_secs(1) };
    let router = firedrill_pricing::router(svc.dependency("warehouse", vec![NOWHERE.into()]), cache, svc.metrics());
    let templates = router.templates();
    let problems = conformance::routes("pricing", templates.iter().map(|(m, t)| (m.as_str(), *t)));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn help_names_the_topologys_routes_calls_and_flags() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pricing")).arg("--help").output().expect("pricing runs");
    assert!(out.status.success(), "pricing --help: {out:?}");
    let problems = conformance::help("pricing", &String::from_utf8_lossy(&out.stdout));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Where the dependencies point: the router is only inspected, never called.
const NOWHERE: &str = "127.0.0.1:9";

/// A service to take dependencies from; nothing is started or exported.
fn service(name: &str) -> Service {
    Service::new(ServiceConfig {
        name: name.into(),
        admin_token: "test".into(),
        telemetry: TelemetryConfig::default(),
        client: ClientPolicy::default(),
        grace: Duration::ZERO,
    })
}
