//! The driver against a recording host on a test clock: what is delivered, when, with which
//! lease, which traffic at each step, and how signals are judged by their own deadlines.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_executor::block_on;

use super::*;
use crate::drill::Mode;
use crate::{Draw, Scenario};

#[derive(Debug, thiserror::Error)]
#[error("host unavailable")]
struct Unavailable;

/// Records every call; answers from its settings.
#[derive(Default)]
struct Recorder {
    calls: Vec<(u64, Call)>,
    now: u64,
    /// Deliveries acknowledged (false: "in progress").
    acknowledge: bool,
    /// Signal name -> value its query returns.
    values: BTreeMap<String, f64>,
    traffic_fails: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Call {
    Deliver(FaultSets, u32),
    Revert,
    Traffic(Option<Traffic>),
}

impl Host for Recorder {
    type Error = Unavailable;

    async fn deliver(&mut self, sets: &FaultSets, lease: Lease) -> Result<bool, Unavailable> {
        self.calls.push((self.now, Call::Deliver(sets.clone(), lease.seconds)));
        Ok(self.acknowledge)
    }

    async fn revert(&mut self) -> Result<bool, Unavailable> {
        self.calls.push((self.now, Call::Revert));
        Ok(true)
    }

    async fn set_traffic(&mut self, traffic: Option<&Traffic>) -> Result<(), Unavailable> {
        if self.traffic_fails {
            return Err(Unavailable);
        }
        self.calls.push((self.now, Call::Traffic(traffic.cloned())));
        Ok(())
    }

    async fn read(&mut self, signals: &[&Signal]) -> Vec<Result<Option<f64>, Unavailable>> {
        signals.iter().map(|s| Ok(self.values.get(&s.name).copied())).collect()
    }
}

fn scenario(name: &str) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../scenarios/{name}.yaml"));
    Scenario::from_yaml(name, &std::fs::read_to_string(path).unwrap()).unwrap()
}

/// storefront-slow-flat-errors's stock-query-hang culprit, warming up for 30 s from t=0.
fn warming() -> Drill {
    let s = scenario("storefront-slow-flat-errors");
    let draw = Draw::of_culprit(&s, "stock-query-hang", 99).unwrap();
    let mut d = Drill::new("d", s, draw, Mode::FirstCorrectWins, Timestamp(0)).unwrap().with_warm_up(secs(30));
    d.start_warm_up(Timestamp(0)).unwrap();
    d
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Steps the driver every second from `from` to `to` (inclusive), seconds.
fn run(driver: &mut Driver, drill: &mut Drill, host: &mut Recorder, from: u64, to: u64) {
    for s in from..=to {
        host.now = s;
        block_on(driver.step(drill, host, Timestamp(s * 1000))).unwrap();
    }
}

fn deliveries(host: &Recorder) -> Vec<u64> {
    host.calls.iter().filter(|(_, c)| matches!(c, Call::Deliver(..))).map(|(t, _)| *t).collect()
}

fn traffic(host: &Recorder) -> Vec<(u64, Option<Traffic>)> {
    host.calls.iter().filter_map(|(t, c)| if let Call::Traffic(x) = c { Some((*t, x.clone())) } else { None }).collect()
}

#[test]
fn warm_up_at_the_scenarios_traffic_then_inject_with_the_lease_and_renew_at_a_third() {
    let (mut drill, mut host, mut driver) =
        (warming(), Recorder { acknowledge: true, ..Default::default() }, Driver::default());
    run(&mut driver, &mut drill, &mut host, 0, 55);
    assert_eq!(deliveries(&host), [30, 40, 50], "first at the warm-up's end, then every 10 s");
    let Call::Deliver(sets, lease) = &host.calls.iter().find(|(t, _)| *t == 30).unwrap().1 else { panic!() };
    assert_eq!((sets, *lease), (&drill.draw().fault_sets(), 30));
    assert_eq!(drill.phase(), Phase::Active);
    assert_eq!(drill.injected_at(), Some(Timestamp(30_000)));
    let base = Traffic { rps: 60.0, mix: "product=4,checkout=1".into() };
    let sent = traffic(&host);
    assert_eq!(sent[0], (0, Some(base.clone())), "the scenario's rate *and* mix from the start");
    assert!(sent.iter().all(|(_, t)| t.as_ref() == Some(&base)), "no step before 120 s: {sent:?}");
}

#[test]
fn load_steps_on_time_and_traffic_is_handed_back_once_after_the_revert() {
    let (mut drill, mut host, mut driver) =
        (warming(), Recorder { acknowledge: true, ..Default::default() }, Driver::default());
    run(&mut driver, &mut drill, &mut host, 0, 160);
    let rates: Vec<(u64, f64)> = traffic(&host).into_iter().filter_map(|(t, x)| Some((t, x?.rps))).collect();
    let stepped = rates.iter().find(|(_, r)| (*r - 84.0).abs() < 1e-9).unwrap();
    assert_eq!(stepped.0, 150, "storefront-slow-flat-errors steps to 1.4x at 120 s after injection (t=30)");
    let wake = block_on(driver.step(&mut drill, &mut host, Timestamp(161_000))).unwrap().wake_at;
    assert!(wake <= Timestamp(170_000), "wakes for the next renewal: {wake:?}");
    drill.stop(Timestamp(162_000)).unwrap();
    run(&mut driver, &mut drill, &mut host, 162, 170);
    assert_eq!(drill.phase(), Phase::Reverted);
    let after: Vec<&(u64, Call)> = host.calls.iter().filter(|(t, _)| *t >= 162).collect();
    assert_eq!(after.iter().filter(|(_, c)| *c == Call::Revert).count(), 1);
    assert_eq!(after.iter().filter(|(_, c)| *c == Call::Traffic(None)).count(), 1, "handed back once: {after:?}");
    assert!(!after.iter().any(|(_, c)| matches!(c, Call::Deliver(..))), "no delivery after the end");
}

#[test]
fn the_clock_starts_only_once_every_replica_acknowledged() {
    let (mut drill, mut host, mut driver) = (warming(), Recorder::default(), Driver::default());
    run(&mut driver, &mut drill, &mut host, 0, 33);
    assert_eq!(drill.phase(), Phase::WarmUp);
    assert_eq!(deliveries(&host), [30, 31, 32, 33], "retried every step while in progress");
    host.acknowledge = true;
    run(&mut driver, &mut drill, &mut host, 34, 34);
    assert_eq!(drill.injected_at(), Some(Timestamp(34_000)));
}

#[test]
fn a_failed_traffic_change_does_not_stop_the_drill_and_is_retried() {
    let mut host = Recorder { acknowledge: true, traffic_fails: true, ..Default::default() };
    let (mut drill, mut driver) = (warming(), Driver::default());
    host.now = 0;
    let step = block_on(driver.step(&mut drill, &mut host, Timestamp(0))).unwrap();
    assert!(matches!(step.troubles.as_slice(), [Trouble::Traffic(_)]));
    host.traffic_fails = false;
    run(&mut driver, &mut drill, &mut host, 1, 1);
    assert_eq!(traffic(&host).len(), 1, "set on the next step");
}

#[test]
fn signals_are_judged_each_by_its_own_deadline() {
    let (mut drill, mut host, mut driver) =
        (warming(), Recorder { acknowledge: true, ..Default::default() }, Driver::default());
    let names: Vec<String> = drill.pending_signals_at_injection();
    let (early, late) = (names[0].clone(), names[1].clone());
    host.values.insert(early.clone(), 1e9);
    run(&mut driver, &mut drill, &mut host, 0, 40);
    assert!(drill.signals_seen().contains_key(&early) && !drill.signals_seen().contains_key(&late));
    // Every signal of this culprit allows 60 s; `late` first holds 74 s after injection.
    run(&mut driver, &mut drill, &mut host, 41, 103);
    host.values.insert(late.clone(), 1e9);
    run(&mut driver, &mut drill, &mut host, 104, 110);
    let timings = drill.signal_timings();
    let of = |n: &str| timings.iter().find(|t| t.name == n).unwrap().clone();
    assert_eq!(of(&early).timeliness(), Timeliness::OnTime);
    assert_eq!(of(&late).first_held, Some(secs(74)));
    assert_eq!((of(&late).deadline, of(&late).timeliness()), (secs(60), Timeliness::Late));
    let missing = timings.iter().filter(|t| t.timeliness() == Timeliness::Missing).count();
    assert_eq!(missing, timings.len() - 2);
    assert!(drill.signals_settled(Timestamp(110_000)), "every deadline has passed");
    assert!(!drill.signals_settled(Timestamp(80_000)));
}

impl Drill {
    /// The drawn culprit's signal names, as the pending list will show them once injected.
    fn pending_signals_at_injection(&self) -> Vec<String> {
        self.scenario().signals_for(&self.draw().culprit).map(|s| s.name.clone()).collect()
    }
}
