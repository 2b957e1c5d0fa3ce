//! pricing's router and `--help` agree with the lab's topology (firedrill_drill::topology),
//! which scenario validation, the local lab and the Helm chart rely on: a route, call or flag
//! added to pricing without the topology (or the other way round) fails here.

use firedrill_drill::topology::conformance::{self, NOWHERE};
use firedrill_runtime::{Service, ServiceConfig};
use std::time::Duration;

#[test]
fn the_router_serves_the_topologys_routes() {
    let svc = Service::new(ServiceConfig::inspected("pricing"));
    let cache = firedrill_pricing::CacheSettings { capacity: 10, ttl: Duration::from_secs(1) };
    let router = firedrill_pricing::router(svc.dependency("warehouse", vec![NOWHERE.into()]), cache, svc.metrics());
    conformance::assert_routes("pricing", router.templates().iter().map(|(m, t)| (m.as_str(), *t)));
}

#[test]
fn help_names_the_topologys_routes_calls_and_flags() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_pricing")).arg("--help").output();
    conformance::assert_help("pricing", &help.expect("pricing runs"));
}
