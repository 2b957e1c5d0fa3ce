//! Verifying a scenario's decoys for one culprit: each decoy is *visible* (its own signals do
//! not hold at baseline, hold within their deadlines while the drill's faults are in, and
//! clear after the revert) and *harmless to the story* (the culprit's own signals still hold,
//! which the case checks anyway with the decoys delivered, and a diagnosis naming the decoy's
//! service scores wrong whatever the class).

use std::time::Duration;

use firedrill_drill::scenario::{Culprit, Scenario, Signal};
use firedrill_drill::verdict::{self, Verdict};
use firedrill_drill::{FaultClass, driver::SignalTiming};

use crate::http::HttpError;
use crate::signals::{self, Findings};
use firedrill_backends::Backends;

/// Every decoy signal of the scenario, each with its first sighting since injection.
pub struct Decoys<'a> {
    scenario: &'a Scenario,
    signals: Vec<&'a Signal>,
    timings: Vec<SignalTiming>,
}

impl<'a> Decoys<'a> {
    pub fn new(scenario: &'a Scenario) -> Self {
        let signals: Vec<&Signal> = scenario.decoys.iter().flat_map(|d| &d.signals).collect();
        let timings = signals.iter().map(|s| SignalTiming::of(s, None)).collect();
        Decoys { scenario, signals, timings }
    }

    /// The decoys' signals, for the baseline and recovery checks.
    pub fn signals(&self) -> &[&'a Signal] {
        &self.signals
    }

    /// True once every decoy signal has held or passed its deadline.
    pub fn settled(&self, since_injection: Duration) -> bool {
        self.timings.iter().all(|t| t.first_held.is_some() || since_injection > t.deadline)
    }

    /// Reads the signals not seen yet; `since_injection` is when this reading counts for.
    pub async fn poll(&mut self, backends: &Backends, since_injection: Duration) -> Result<(), HttpError> {
        for (s, t) in self.signals.iter().zip(self.timings.iter_mut()).filter(|(_, t)| t.first_held.is_none()) {
            if backends.query(&s.query).await?.is_some_and(|v| s.holds(v)) {
                t.first_held = Some(since_injection);
            }
        }
        Ok(())
    }

    /// Each decoy signal judged by its deadline, and the scoring check, into `found`.
    pub async fn judge(&self, backends: &Backends, culprit: &Culprit, found: &mut Findings) -> Result<(), HttpError> {
        signals::judge(backends, &self.signals, &self.timings, found).await?;
        for decoy in &self.scenario.decoys {
            let scores: Vec<FaultClass> = FaultClass::ALL
                .into_iter()
                .filter(|class| verdict::judge(&culprit.answer, &decoy.service, *class) != Verdict::Wrong)
                .collect();
            if scores.is_empty() {
                found.notes.push(format!("decoy on {}: a diagnosis naming {0} scores wrong", decoy.service));
            } else {
                let classes: Vec<String> = scores.iter().map(ToString::to_string).collect();
                found.failures.push(format!(
                    "decoy on {} is not harmless: naming it with {} scores against culprit `{}`",
                    decoy.service,
                    classes.join(", "),
                    culprit.id
                ));
            }
        }
        Ok(())
    }
}
