//! A drill steers the lab's traffic: a real loadgen binary on loopback goes to the scenario's
//! mix and base rate when the drill starts, to each step's rate on time, and back to its own
//! `--rate` and `--mix` when the drill ends; a drill that has already ended leaves the traffic
//! alone.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use firedrill_operator::crd::Drill;
use firedrill_operator::injection::agent::AgentClient;
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use serde_json::json;

use super::drills::{answer, diagnose};
use crate::support::lab::{Lab, apply, eventually, service};

/// loadgen's own settings, which it returns to between drills.
const IDLE: (f64, &str) = (5.0, "product=1,checkout=1");
/// The stepped scenario's mix (90/10) in loadgen's format.
const MIX: &str = "product=9,checkout=1";
const WAIT: Duration = Duration::from_secs(30);

/// slow-shared-downstream at 20 rps, doubled 4 s after the faults go active.
fn stepped_scenario() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/slow-shared-downstream.yaml");
    let source = std::fs::read_to_string(path).unwrap();
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
        let body = http_get(&format!("{}/rate", self.url)).await?;
        let state: serde_json::Value = serde_json::from_str(&body).ok()?;
        Some((state["rps"].as_f64()?, state["mix"].as_str()?.to_string()))
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

/// A plain HTTP/1 GET over a loopback socket (the test needs nothing more).
async fn http_get(url: &str) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_at(rest.find('/')?);
    let mut stream = tokio::net::TcpStream::connect(host).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_string())
}

fn drill(name: &str) -> Drill {
    serde_json::from_value(json!({
        "apiVersion": "firedrill.dev/v1alpha1", "kind": "Drill",
        "metadata": { "name": name },
        "spec": { "scenario": "slow-shared-downstream" }
    }))
    .unwrap()
}

#[tokio::test]
async fn a_drill_sets_the_scenarios_load_and_its_steps_then_hands_the_traffic_back() {
    let mut lab = Lab::new(true).await;
    let obj = json!({
        "apiVersion": "firedrill.dev/v1alpha1", "kind": "Scenario",
        "metadata": { "name": "slow-shared-downstream", "namespace": lab.control },
        "spec": { "file": "slow-shared-downstream.yaml", "source": stepped_scenario() }
    });
    apply(&lab.admin, &serde_yaml::to_string(&obj).unwrap()).await;
    let mut services = Vec::new();
    for name in ["api", "inventory", "warehouse", "pricing", "checkout", "payments"] {
        let svc = service(name).await;
        let labels = [("app.kubernetes.io/name", name), ("firedrill.dev/injectable", "true")];
        lab.pod(&format!("{name}-0"), &labels, svc.admin_addr.port()).await;
        services.push(svc);
    }
    let loadgen = Loadgen::start().await;
    lab.loadgen_url = Some(loadgen.url.clone());
    lab.start_operator().await;
    let idle = Some((IDLE.0, IDLE.1.to_string()));
    assert_eq!(loadgen.load().await, idle, "nothing steers the traffic before a drill");

    let drills = Api::<Drill>::namespaced(lab.admin.clone(), &lab.ns);
    let created = drills.create(&PostParams::default(), &drill("game-day")).await.unwrap();
    loadgen.until("the scenario's mix and base rate", (20.0, MIX)).await;
    loadgen.until("the step's rate, 4 s after activation", (40.0, MIX)).await;
    let player = lab.player().await;
    diagnose(&player, &lab.ns, "right", "warehouse", &answer(&lab, &created).await).await;
    eventually("the solved drill reverts", WAIT, || async {
        let d = drills.get("game-day").await.ok()?;
        (d.status?.phase.as_deref() == Some("reverted")).then_some(())
    })
    .await;
    assert_eq!(loadgen.load().await, idle, "loadgen's own settings are back when the drill ends");

    // An ended drill no longer owns the traffic: deleting it leaves the rate alone.
    let manual = (33.0, "checkout=1");
    let agents = AgentClient::new(Duration::from_secs(2));
    agents.set_load(&loadgen.url, manual.0, manual.1).await.expect("loadgen takes a load");
    drills.delete("game-day", &DeleteParams::default()).await.unwrap();
    eventually("the ended drill is gone", WAIT, || async {
        drills.get_opt("game-day").await.ok()?.is_none().then_some(())
    })
    .await;
    assert_eq!(loadgen.load().await, Some((manual.0, manual.1.to_string())));

    // Deleting a running drill hands the traffic back.
    drills.create(&PostParams::default(), &drill("deleted")).await.unwrap();
    loadgen.until("the scenario's load again", (20.0, MIX)).await;
    drills.delete("deleted", &DeleteParams::default()).await.unwrap();
    loadgen.until("loadgen's own settings after deletion", IDLE).await;
    lab.stop_operator().await;
}
