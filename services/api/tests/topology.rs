//! api's router and `--help` agree with the lab's topology (firedrill_drill::topology),
//! which scenario validation, the local lab and the Helm chart rely on: a route, call or flag
//! added to api without the topology (or the other way round) fails here.

use firedrill_drill::topology::conformance::{self, NOWHERE};
use firedrill_runtime::{Service, ServiceConfig};

#[test]
fn the_router_serves_the_topologys_routes() {
    let svc = Service::new(ServiceConfig::inspected("api"));
    let router = firedrill_api::router(firedrill_api::Upstreams {
        inventory: svc.dependency("inventory", vec![NOWHERE.into()]),
        pricing: svc.dependency("pricing", vec![NOWHERE.into()]),
        checkout: svc.dependency("checkout", vec![NOWHERE.into()]),
    });
    conformance::assert_routes("api", router.templates().iter().map(|(m, t)| (m.as_str(), *t)));
}

#[test]
fn help_names_the_topologys_routes_calls_and_flags() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_api")).arg("--help").output();
    conformance::assert_help("api", &help.expect("api runs"));
}
