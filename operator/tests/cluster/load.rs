//! A drill steers the lab's traffic: a real loadgen binary on loopback goes to the scenario's
//! mix and base rate when the drill starts, to each step's rate on time, and back to its own
//! `--rate` and `--mix` when the drill ends; a drill that has already ended leaves the traffic
//! alone.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use firedrill_drill::Phase;
use firedrill_operator::crd::Drill;
use firedrill_operator::injection::agent::{LoadRequest, LoadgenClient};
use kube::Api;
use kube::api::DeleteParams;

use super::drills::{
    SCENARIO, answer, answer_service, create_drill, diagnose, install_scenario, scenario_source, start_services,
    until_phase,
};
use crate::support::lab::{Lab, eventually};

/// loadgen's own settings, which it returns to between drills.
const IDLE: (f64, &str) = (5.0, "product=1,checkout=1");
/// The stepped scenario's mix (90/10) in loadgen's format.
const MIX: &str = "product=9,checkout=1";
const WAIT: Duration = Duration::from_secs(30);

/// product-pages-slow-teams-paged at 20 rps, doubled 4 s after the faults go active.
fn stepped_scenario() -> String {
    let source = scenario_source(SCENARIO);
    let load = "load:\n  rateRps: 60\n  mix: { product: 90, checkout: 10 }\n";
    assert!(source.contains(load), "the scenario's load section changed; update this test");
    let stepped = "load:\n  rateRps: 20\n  mix: { product: 90, checkout: 10 }\n  steps:\n    - { atSeconds: 4, rateMultiplier: 2 }\n";
    source.replace(load, stepped)
}

/// The real loadgen binary, idle, sending to a closed loopback port (its errors don't matter).
struct Loadgen {
    child: Child,
    url: String,
}

impl Loadgen {
    async fn start() -> Loadgen {
        let bin = std::path::PathBuf::from(env!("CARGO_BIN_EXE_firedrill-operator")).with_file_name("loadgen");
        assert!(bin.is_file(), "{} is missing: cargo build --workspace --bins", bin.display());
        let port = free_port();
        let child = Command::new(bin)
            .args(["--target", "127.0.0.1:9", "--rate", &IDLE.0.to_string(), "--mix", IDLE.1, "--timeout-ms", "200"])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("loadgen starts");
        let loadgen = Loadgen { child, url: format!("http://127.0.0.1:{port}") };
        eventually("loadgen answers", WAIT, || loadgen.load()).await;
        loadgen
    }

    /// What loadgen sends now: (rps, mix).
    async fn load(&self) -> Option<(f64, String)> {
        let state = LoadgenClient::new(Duration::from_secs(2)).get(&self.url).await.ok()?;
        Some((state.rps, state.mix))
    }

    async fn until(&self, what: &str, (rps, mix): (f64, &str)) {
        eventually(what, WAIT, || async { (self.load().await? == (rps, mix.to_string())).then_some(()) }).await;
    }
}

impl Drop for Loadgen {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn a_drill_sets_the_scenarios_load_and_its_steps_then_hands_the_traffic_back() {
    let mut lab = Lab::new(true).await;
    install_scenario(&lab, SCENARIO, &stepped_scenario()).await;
    let _services = start_services(&lab).await;
    let loadgen = Loadgen::start().await;
    lab.loadgen_url = Some(loadgen.url.clone());
    lab.start_operator().await;
    let idle = Some((IDLE.0, IDLE.1.to_string()));
    assert_eq!(loadgen.load().await, idle, "nothing steers the traffic before a drill");

    let drills = Api::<Drill>::namespaced(lab.admin.clone(), &lab.ns);
    let created = create_drill(&lab, "game-day").await;
    loadgen.until("the scenario's mix and base rate", (20.0, MIX)).await;
    loadgen.until("the step's rate, 4 s after activation", (40.0, MIX)).await;
    let player = lab.player().await;
    diagnose(&player, &lab.ns, "right", &answer_service(&lab, &created).await, &answer(&lab, &created).await).await;
    until_phase(&lab, "game-day", Phase::Reverted).await;
    assert_eq!(loadgen.load().await, idle, "loadgen's own settings are back when the drill ends");

    // An ended drill no longer owns the traffic: deleting it leaves the rate alone.
    let manual = (33.0, "checkout=1");
    let load = LoadRequest { rps: manual.0, mix: Some(manual.1.into()) };
    LoadgenClient::new(Duration::from_secs(2)).set(&loadgen.url, &load).await.expect("loadgen takes a load");
    drills.delete("game-day", &DeleteParams::default()).await.unwrap();
    eventually("the ended drill is gone", WAIT, || async {
        drills.get_opt("game-day").await.ok()?.is_none().then_some(())
    })
    .await;
    assert_eq!(loadgen.load().await, Some((manual.0, manual.1.to_string())));

    // Deleting a running drill hands the traffic back.
    create_drill(&lab, "deleted").await;
    loadgen.until("the scenario's load again", (20.0, MIX)).await;
    drills.delete("deleted", &DeleteParams::default()).await.unwrap();
    loadgen.until("loadgen's own settings after deletion", IDLE).await;
    lab.stop_operator().await;
}
