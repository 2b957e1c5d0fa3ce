//! Each expected signal judged by its own deadline: when it first held, counted from the
//! injection, against its `withinSeconds`. `verify` fails a scenario on any signal that is
//! late or missing; the debrief shows the same timings.

use std::time::Duration;

use serde::Serialize;

use crate::drill::Drill;

/// How one expected signal did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignalTiming {
    pub name: String,
    /// Its `withinSeconds`.
    pub deadline: Duration,
    /// When it first held, after injection; `None` if it never did.
    pub first_held: Option<Duration>,
}

/// The verdict on one signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Timeliness {
    OnTime,
    Late,
    Missing,
}

// === impl SignalTiming ===

impl SignalTiming {
    /// `signal`, with its deadline, first held at `first_held` (after injection) or not yet.
    pub fn of(signal: &crate::scenario::Signal, first_held: Option<Duration>) -> SignalTiming {
        SignalTiming {
            name: signal.name.clone(),
            deadline: Duration::from_secs(signal.within_seconds.into()),
            first_held,
        }
    }

    pub fn timeliness(&self) -> Timeliness {
        match self.first_held {
            Some(at) if at <= self.deadline => Timeliness::OnTime,
            Some(_) => Timeliness::Late,
            None => Timeliness::Missing,
        }
    }
}

// === impl Drill ===

impl Drill {
    /// Every expected signal of the drawn culprit with its timing, in scenario order.
    pub fn signal_timings(&self) -> Vec<SignalTiming> {
        let injected = self.injected_at();
        self.scenario()
            .signals_for(&self.draw().culprit)
            .map(|s| {
                SignalTiming::of(s, injected.zip(self.signals_seen().get(&s.name)).map(|(from, at)| at.since(from)))
            })
            .collect()
    }
}
