//! What must be true at `now`, read off the drill record alone: the faults every replica
//! carries, the traffic loadgen sends, the signals still awaited with their deadlines.
//! Pure functions of the drill and the time, so every host computes the same answer.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::draw::FaultSets;
use crate::drill::{Drill, Phase};
use crate::scenario::Signal;
use crate::time::Timestamp;

/// What loadgen sends: the arrival rate and the endpoint mix in loadgen's weights format
/// (`product=3,checkout=1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Traffic {
    pub rps: f64,
    pub mix: String,
}

/// The faults the lab must carry now.
#[derive(Debug, Clone, PartialEq)]
pub enum Faults {
    /// None: before injection, and once reverted.
    Healthy,
    /// Every replica carries its set (replicas absent from the map carry an empty one).
    Injected(FaultSets),
    /// The drill is over: every fault must go.
    Reverting,
}

/// The faults one replica carries under `sets`: its own set, or none. Every delivery hands
/// each replica exactly this (the local lab per process, the operator per pod).
pub fn faults_of(sets: &FaultSets, service: &str, replica: u32) -> Vec<firedrill_fault::Fault> {
    sets.get(&(service.to_string(), replica)).cloned().unwrap_or_default()
}

/// An expected signal that has not shown yet, and when it must have.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingSignal {
    pub signal: Signal,
    /// `withinSeconds` after injection.
    pub deadline: Timestamp,
}

// === impl Drill ===

impl Drill {
    /// When the warm-up at baseline traffic ends and the faults go in.
    pub fn warm_up_ends(&self) -> Option<Timestamp> {
        Some(self.warm_up_at()?.plus(self.warm_up()))
    }

    /// The faults the lab must carry at `now`.
    pub fn wanted_faults(&self, now: Timestamp) -> Faults {
        match self.phase() {
            Phase::Pending => Faults::Healthy,
            Phase::WarmUp if self.warm_up_ends().is_none_or(|end| now < end) => Faults::Healthy,
            Phase::WarmUp | Phase::Active => Faults::Injected(self.draw().fault_sets()),
            Phase::Solved | Phase::Expired => Faults::Reverting,
            Phase::Reverted | Phase::Debriefed => Faults::Healthy,
        }
    }

    /// The traffic the drill wants at `now`: the scenario's base rate and mix from the
    /// warm-up on, each step's rate from its `atSeconds` after injection; `None` once the
    /// drill is over (loadgen goes back to its own settings).
    pub fn wanted_traffic(&self, now: Timestamp) -> Option<Traffic> {
        let load = &self.scenario().load;
        let rps = match self.phase() {
            Phase::Pending | Phase::WarmUp => load.rate_rps,
            Phase::Active => load.rate_at(self.elapsed(now).as_secs_f64()),
            Phase::Solved | Phase::Expired | Phase::Reverted | Phase::Debriefed => return None,
        };
        Some(Traffic { rps, mix: load.mix.loadgen_weights() })
    }

    /// When the next load step is due, while active.
    pub fn next_load_step(&self, now: Timestamp) -> Option<Timestamp> {
        if self.phase() != Phase::Active {
            return None;
        }
        let wait = self.scenario().load.next_step_in(self.elapsed(now).as_secs_f64())?;
        // A step is reached at its `atSeconds`, not a rounding error before it.
        Some(now.plus(Duration::from_secs_f64(wait)).plus(Duration::from_millis(1)))
    }

    /// The expected signals that have not shown yet, each with its own deadline; empty
    /// before injection and after the revert.
    pub fn pending_signals(&self) -> Vec<PendingSignal> {
        let Some(injected) = self.injected_at() else { return Vec::new() };
        if !matches!(self.phase(), Phase::Active | Phase::Solved | Phase::Expired) {
            return Vec::new();
        }
        let unseen = |s: &&Signal| !self.signals_seen().contains_key(&s.name);
        let signals = self.scenario().signals_for(&self.draw().culprit).filter(unseen);
        signals
            .map(|s| PendingSignal {
                deadline: injected.plus(Duration::from_secs(s.within_seconds.into())),
                signal: s.clone(),
            })
            .collect()
    }

    /// True once every expected signal has shown or is past its deadline: nothing more
    /// can be learnt by waiting (what `verify` waits for).
    pub fn signals_settled(&self, now: Timestamp) -> bool {
        self.pending_signals().iter().all(|p| now >= p.deadline)
    }
}
