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
            .map(|s| SignalTiming {
                name: s.name.clone(),
                deadline: Duration::from_secs(s.within_seconds.into()),
                first_held: injected.zip(self.signals_seen().get(&s.name)).map(|(from, at)| at.since(from)),
            })
            .collect()
    }
}
