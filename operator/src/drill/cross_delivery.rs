//! One scenario, two deliveries, the same incident. Every shipped scenario and culprit is
//! driven by the engine's driver on a test clock through two hosts that translate exactly as
//! the real adapters do: the local lab's (every process gets `faults_of` its replica, as
//! `Lab::deliver` sends it) and the operator's (the FaultInjection objects `faults::objects`
//! builds, matched to the chart's pods by the injection controller's own `select`). At every
//! step both must give every replica the same faults under the same lease, and loadgen the
//! same rate and mix.

use std::collections::BTreeMap;
use std::convert::Infallible;

use firedrill_drill::draw::FaultSets;
use firedrill_drill::driver::{Host, Lease, Traffic, faults_of};
use firedrill_drill::scenario::Signal;
use firedrill_drill::{Draw, Driver, Mode, Phase, Scenario, Timestamp};
use firedrill_fault::Fault;
use futures::executor::block_on;
use k8s_openapi::api::core::v1::Pod;

use super::faults::{self, REPLICA_LABEL, SERVICE_LABEL};
use crate::crd::{Drill, DrillMode, DrillSpec};
use crate::injection::select;

/// Per replica: the faults it carries and their lease.
type Delivered = BTreeMap<(String, u32), (Vec<Fault>, u32)>;
/// What a delivery's translation makes of the driver's fault sets.
trait Translate: FnMut(&FaultSets, Lease) -> Delivered + Send {}
impl<F: FnMut(&FaultSets, Lease) -> Delivered + Send> Translate for F {}
/// Every delivery and traffic change, with the second it happened at.
type Seen = Vec<(u64, Delivered, Option<Traffic>)>;

struct Recorder<F> {
    translate: F,
    now: u64,
    seen: Seen,
    traffic: Option<Traffic>,
}

impl<F: Translate> Host for Recorder<F> {
    type Error = Infallible;

    async fn deliver(&mut self, sets: &FaultSets, lease: Lease) -> Result<bool, Infallible> {
        let delivered = (self.translate)(sets, lease);
        self.seen.push((self.now, delivered, self.traffic.clone()));
        Ok(true)
    }

    async fn revert(&mut self) -> Result<bool, Infallible> {
        self.seen.push((self.now, BTreeMap::new(), self.traffic.clone()));
        Ok(true)
    }

    async fn set_traffic(&mut self, traffic: Option<&Traffic>) -> Result<(), Infallible> {
        self.traffic = traffic.cloned();
        self.seen.push((self.now, BTreeMap::new(), self.traffic.clone()));
        Ok(())
    }

    async fn read(&mut self, signals: &[&Signal]) -> Vec<Result<Option<f64>, Infallible>> {
        signals.iter().map(|_| Ok(None)).collect()
    }
}

/// Every replica of the lab, as both deliveries run them.
fn replicas(draw: &Draw) -> Vec<(String, u32)> {
    draw.replicas.iter().flat_map(|(s, n)| (0..*n).map(move |r| (s.clone(), r))).collect()
}

/// `Lab::deliver`: each process gets its replica's set.
fn local(draw: &Draw) -> impl Translate {
    let all = replicas(draw);
    move |sets, lease| all.iter().map(|(s, r)| ((s.clone(), *r), (faults_of(sets, s, *r), lease.seconds))).collect()
}

/// The chart's pods (service and replica labels, injectable) and the operator's objects.
fn operator(draw: &Draw) -> impl Translate {
    let all = replicas(draw);
    let counts = draw.replicas.clone();
    let pods: Vec<Pod> = all.iter().map(|(s, r)| pod(s, *r)).collect();
    let mut crd = Drill::new(
        "game-day",
        DrillSpec {
            from: vec![],
            time_limit_seconds: None,
            mode: DrillMode::FirstCorrectWins,
            teams: vec![],
            draw_secret: None,
            warm_up_seconds: None,
        },
    );
    crd.metadata.namespace = Some("lab".into());
    crd.metadata.uid = Some("0123456789abcdef".into());
    move |sets, lease| {
        let mut got: Delivered = all.iter().map(|k| (k.clone(), (Vec::new(), lease.seconds))).collect();
        for fi in faults::objects(&crd, &faults::plan(sets, &counts), lease) {
            let faults: Vec<Fault> =
                fi.spec.faults.iter().map(|f| serde_json::from_value(f.clone()).unwrap()).collect();
            for chosen in select::select(&fi.spec.selector, "salt", &pods).chosen {
                let (service, replica) = chosen.name.rsplit_once('-').unwrap();
                let entry = got.get_mut(&(service.to_string(), replica.parse().unwrap())).unwrap();
                assert!(entry.0.is_empty(), "two FaultInjections select pod {}", chosen.name);
                *entry = (faults.clone(), fi.spec.lease_seconds);
            }
        }
        got
    }
}

fn pod(service: &str, replica: u32) -> Pod {
    let mut pod = Pod::default();
    pod.metadata.name = Some(format!("{service}-{replica}"));
    pod.metadata.namespace = Some("lab".into());
    pod.metadata.labels = Some(BTreeMap::from([
        (SERVICE_LABEL.to_string(), service.to_string()),
        (REPLICA_LABEL.to_string(), replica.to_string()),
        (crate::INJECTABLE_LABEL.to_string(), "true".to_string()),
    ]));
    pod
}

/// Drives one culprit for its whole time limit (plus the revert) on a one-second clock.
fn drive(scenario: &Scenario, draw: &Draw, translate: impl Translate) -> Seen {
    let mut drill =
        firedrill_drill::Drill::new("d", scenario.clone(), draw.clone(), Mode::FirstCorrectWins, Timestamp(0))
            .unwrap()
            .with_warm_up(std::time::Duration::from_secs(20));
    drill.start_warm_up(Timestamp(0)).unwrap();
    let (mut driver, mut host) = (Driver::default(), Recorder { translate, now: 0, seen: Vec::new(), traffic: None });
    let end = 20 + u64::from(scenario.time_limit_seconds) + 5;
    for s in 0..=end {
        host.now = s;
        block_on(driver.step(&mut drill, &mut host, Timestamp(s * 1000))).unwrap();
    }
    assert_eq!(drill.phase(), Phase::Reverted, "{} / {}", scenario.name, draw.culprit.id);
    host.seen
}

#[test]
fn every_scenario_delivers_the_same_faults_and_traffic_locally_and_on_kubernetes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut cases = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let scenario = Scenario::from_yaml(&name, &std::fs::read_to_string(&path).unwrap()).unwrap();
        for culprit in &scenario.culprits {
            let draw = Draw::of_culprit(&scenario, &culprit.id, 1).unwrap();
            let (local, operator) = (drive(&scenario, &draw, local(&draw)), drive(&scenario, &draw, operator(&draw)));
            assert_eq!(local, operator, "{name} / {}", culprit.id);
            let injected = local.iter().find(|(_, d, _)| d.values().any(|(f, _)| !f.is_empty()));
            let (_, delivered, _) = injected.unwrap_or_else(|| panic!("{name} / {}: nothing injected", culprit.id));
            assert!(delivered.values().all(|(_, lease)| *lease == firedrill_drill::LEASE.seconds));
            let mixes: Vec<&str> = local.iter().filter_map(|(_, _, t)| Some(t.as_ref()?.mix.as_str())).collect();
            assert!(mixes.iter().all(|m| *m == scenario.load.mix.loadgen_weights()), "{name}: {mixes:?}");
            cases += 1;
        }
    }
    assert!(cases >= 16, "only {cases} culprits found");
}
