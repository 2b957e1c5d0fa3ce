//! payments's router and `--help` agree with the lab's topology (firedrill_drill::topology),
//! which scenario validation, the local lab and the Helm chart rely on: a route, call or flag
//! added to payments without the topology (or the other way round) fails here.

use firedrill_drill::topology::conformance;
use std::time::Duration;

#[test]
fn the_router_serves_the_topologys_routes() {
    let settings = firedrill_payments::Settings { processor_latency: Duration::ZERO, scoring_rounds: 1 };
    let router = firedrill_payments::router(settings);
    conformance::assert_routes("payments", router.templates().iter().map(|(m, t)| (m.as_str(), *t)));
}

#[test]
fn help_names_the_topologys_routes_calls_and_flags() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_payments")).arg("--help").output();
    conformance::assert_help("payments", &help.expect("payments runs"));
}
