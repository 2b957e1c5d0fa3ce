//! Distinguishability: the signals must be able to tell every culprit of a scenario from every
//! other one.
//!
//! A wide answer pool is worth nothing if two culprits look the same: the player could only
//! guess between them. So while culprit A is active, `verify --all-culprits` also watches the
//! culprit-specific signals of every other culprit B of the scenario, each until it holds or its
//! own `withinSeconds` has passed. At least one of B's signals must stay off: that signal is
//! what tells A from B, and the debrief can point at it. The scenario-wide `signals:` hold in
//! every draw by definition, so they never separate anything. This module is the rule (which
//! signals to watch, and what the readings mean); the host reads the backends.

use crate::scenario::{Culprit, Scenario, Signal};
use serde::Serialize;
use std::time::Duration;

/// One signal of another culprit, watched while a culprit is active.
#[derive(Debug, Clone, PartialEq)]
pub struct Watched<'a> {
    /// The culprit the signal belongs to (B).
    pub culprit: &'a str,
    pub signal: &'a Signal,
    /// The moment (since injection) it first held, if it did.
    pub first_held: Option<Duration>,
    /// The last value read, `None` for no data or not read yet.
    pub last: Option<f64>,
}

/// What a watched signal showed, for the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reading {
    pub signal: String,
    /// Whether it held at some reading within its deadline.
    pub held: bool,
    /// The last value read (`None`: no data).
    pub last: Option<f64>,
}

/// One ordered pair: while `active` ran, could the signals tell it from `other`?
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Separation {
    pub active: String,
    pub other: String,
    /// The first of `other`'s signals that did not hold: it tells the two apart. `None`: every
    /// one held (or `other` has none), so the signals cannot tell `active` from `other`.
    pub separated_by: Option<Reading>,
    /// Every one of `other`'s signals as it read.
    pub readings: Vec<Reading>,
}

// === impl Watched ===

impl<'a> Watched<'a> {
    /// The culprit-specific signals of every culprit but `active`, in file order.
    pub fn others(scenario: &'a Scenario, active: &Culprit) -> Vec<Watched<'a>> {
        let others = scenario.culprits.iter().filter(|c| c.id != active.id);
        others
            .flat_map(|c| {
                c.signals.iter().map(move |s| Watched { culprit: &c.id, signal: s, first_held: None, last: None })
            })
            .collect()
    }

    /// Records a reading taken `at` since injection.
    pub fn record(&mut self, at: Duration, value: Option<f64>) {
        self.last = value;
        if self.first_held.is_none() && value.is_some_and(|v| self.signal.holds(v)) {
            self.first_held = Some(at);
        }
    }

    /// Whether more readings can change the outcome: not yet held and still within its deadline.
    pub fn open(&self, at: Duration) -> bool {
        self.first_held.is_none() && at <= self.deadline()
    }

    /// Held within its own deadline (a late showing would not have counted for B either).
    pub fn held(&self) -> bool {
        self.first_held.is_some_and(|t| t <= self.deadline())
    }

    fn deadline(&self) -> Duration {
        Duration::from_secs(self.signal.within_seconds.into())
    }

    fn reading(&self) -> Reading {
        Reading { signal: self.signal.name.clone(), held: self.held(), last: self.last }
    }
}

/// Whether every watched signal is settled `at` this moment since injection.
pub fn settled(watched: &[Watched<'_>], at: Duration) -> bool {
    !watched.iter().any(|w| w.open(at))
}

/// The ordered pairs `(active, B)` for every other culprit B, judged from the readings.
pub fn separations(scenario: &Scenario, active: &Culprit, watched: &[Watched<'_>]) -> Vec<Separation> {
    let others = scenario.culprits.iter().filter(|c| c.id != active.id);
    others
        .map(|other| {
            let readings: Vec<Reading> =
                watched.iter().filter(|w| w.culprit == other.id).map(Watched::reading).collect();
            Separation {
                active: active.id.clone(),
                other: other.id.clone(),
                separated_by: readings.iter().find(|r| !r.held).cloned(),
                readings,
            }
        })
        .collect()
}

// === impl Separation ===

impl Separation {
    pub fn separated(&self) -> bool {
        self.separated_by.is_some()
    }
}

impl std::fmt::Display for Separation {
    /// `a vs b: told apart by `sig` (did not hold; last 0.0123)` or why not.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = |v: Option<f64>| v.map_or("no data".to_string(), |v| format!("{v:.4}"));
        match (&self.separated_by, self.readings.is_empty()) {
            (Some(r), _) => write!(
                f,
                "{} vs {}: told apart by `{}` (did not hold; last {})",
                self.active,
                self.other,
                r.signal,
                value(r.last)
            ),
            (None, true) => write!(
                f,
                "{} vs {}: cannot be told apart: `{}` has no signals of its own; expected at least one that `{}` does not show",
                self.active, self.other, self.other, self.active
            ),
            (None, false) => {
                let held: Vec<String> = self.readings.iter().map(|r| format!("`{}`", r.signal)).collect();
                write!(
                    f,
                    "{} vs {}: cannot be told apart: every signal of `{}` also held while `{}` was active ({}); expected at least one that does not",
                    self.active,
                    self.other,
                    self.other,
                    self.active,
                    held.join(", ")
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/storefront-errors-after-rollout.yaml");
        Scenario::from_yaml("t.yaml", &std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn only_other_culprits_own_signals_are_watched() {
        let s = scenario();
        let active = &s.culprits[0];
        let watched = Watched::others(&s, active);
        let expected: usize = s.culprits[1..].iter().map(|c| c.signals.len()).sum();
        assert_eq!(watched.len(), expected);
        assert!(watched.iter().all(|w| w.culprit != active.id));
        let common: Vec<&str> = s.signals.iter().map(|x| x.name.as_str()).collect();
        assert!(
            watched.iter().all(|w| !common.contains(&w.signal.name.as_str())),
            "scenario-wide signals never separate"
        );
    }

    #[test]
    fn a_signal_stays_open_until_it_holds_or_its_deadline_passes() {
        let s = scenario();
        let mut watched = Watched::others(&s, &s.culprits[0]);
        let w = &mut watched[0];
        let (on, off) = (w.signal.threshold + 1.0, w.signal.threshold - 1.0);
        let (on, off) = if w.signal.holds(on) { (on, off) } else { (off, on) };
        w.record(secs(5), Some(off));
        assert!(w.open(secs(5)) && !w.held());
        w.record(secs(10), None);
        assert!(w.open(secs(10)), "no data is not a verdict");
        let deadline = secs(w.signal.within_seconds.into());
        assert!(!w.open(deadline + secs(1)), "past its deadline it is settled, off");
        w.record(secs(12), Some(on));
        assert!(w.held() && !w.open(secs(12)));
        w.record(secs(13), Some(off));
        assert!(w.held(), "once held, it held");
        assert!(!settled(&watched, secs(1)), "the others are still open");
        assert!(settled(&watched, secs(601)));
    }

    /// A value that satisfies the watched signal.
    fn on(w: &Watched<'_>) -> f64 {
        let above = w.signal.threshold + 1.0;
        if w.signal.holds(above) { above } else { w.signal.threshold - 1.0 }
    }

    #[test]
    fn a_pair_is_told_apart_by_the_first_signal_that_did_not_hold() {
        let s = scenario();
        let active = &s.culprits[0];
        let (second, third) = (&s.culprits[1], &s.culprits[2]);
        let mut watched = Watched::others(&s, active);
        // Every signal of the second culprit holds; of the third, all but the first.
        let mut third_seen = 0;
        for w in watched.iter_mut() {
            let value = on(w);
            if w.culprit == second.id {
                w.record(secs(3), Some(value));
            } else if w.culprit == third.id {
                if third_seen > 0 {
                    w.record(secs(3), Some(value));
                }
                third_seen += 1;
            }
        }
        let pairs = separations(&s, active, &watched);
        assert_eq!(pairs.len(), s.culprits.len() - 1, "one ordered pair per other culprit");
        let (a, b) = (&pairs[0], &pairs[1]);
        assert_eq!((a.active.as_str(), a.other.as_str()), (active.id.as_str(), second.id.as_str()));
        assert!(!a.separated(), "every signal of {} held", second.id);
        assert!(a.to_string().contains("cannot be told apart: every signal of"), "{a}");
        assert_eq!(b.separated_by.as_ref().map(|r| r.signal.as_str()), Some(third.signals[0].name.as_str()));
        let told = format!("told apart by `{}` (did not hold; last no data)", third.signals[0].name);
        assert!(b.to_string().contains(&told), "{b}");
    }

    #[test]
    fn a_culprit_without_signals_of_its_own_cannot_be_told_apart() {
        let mut s = scenario();
        s.culprits[1].signals.clear();
        let watched = Watched::others(&s, &s.culprits[0]);
        let pairs = separations(&s, &s.culprits[0], &watched);
        assert!(!pairs[0].separated());
        assert!(pairs[0].to_string().contains("has no signals of its own"), "{}", pairs[0]);
    }
}
