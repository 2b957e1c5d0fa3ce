//! Distinguishability on the lab (`verify --all-culprits`): while the drawn culprit is active,
//! the other culprits' own signals are read too, each until it holds or its deadline passes,
//! and every ordered pair must be told apart by at least one of them that stayed off. The rule
//! and the verdict are the engine's (`firedrill_drill::distinguish`); this module reads the
//! backends and reports.

use std::time::Duration;

use firedrill_drill::Scenario;
use firedrill_drill::distinguish::{self, Separation, Watched};
use firedrill_drill::driver::SIGNAL_POLL;
use firedrill_drill::scenario::Culprit;

use super::CaseReport;
use crate::http::HttpError;
use crate::signals::Findings;
use firedrill_backends::Backends;

/// The other culprits' signals, read while one culprit is active.
pub struct Watch<'a> {
    enabled: bool,
    watched: Vec<Watched<'a>>,
    polled_at: Option<Duration>,
}

impl<'a> Watch<'a> {
    /// Watches every other culprit's own signals, or nothing when `enabled` is false.
    pub fn new(scenario: &'a Scenario, active: &Culprit, enabled: bool) -> Watch<'a> {
        let watched = if enabled { Watched::others(scenario, active) } else { Vec::new() };
        Watch { enabled, watched, polled_at: None }
    }

    /// Reads the signals still open, `at` since injection (at most every [`SIGNAL_POLL`]).
    pub async fn poll(&mut self, backends: &Backends, at: Duration) -> Result<(), HttpError> {
        if self.polled_at.is_some_and(|last| at < last + SIGNAL_POLL) {
            return Ok(());
        }
        self.polled_at = Some(at);
        for w in self.watched.iter_mut().filter(|w| w.open(at)) {
            let value = backends.query(&w.signal.query).await?;
            w.record(at, value);
        }
        Ok(())
    }

    /// Nothing more to learn by waiting.
    pub fn settled(&self, at: Duration) -> bool {
        distinguish::settled(&self.watched, at)
    }

    /// The ordered pairs, each pair the signals cannot tell apart a failure of the case.
    pub fn judge(&self, scenario: &Scenario, active: &Culprit, found: &mut Findings) -> Vec<Separation> {
        if !self.enabled {
            return Vec::new();
        }
        let pairs = distinguish::separations(scenario, active, &self.watched);
        found.failures.extend(pairs.iter().filter(|p| !p.separated()).map(ToString::to_string));
        pairs
    }
}

/// Every ordered pair of every report, one line each, for the end of the text report.
pub fn summary(reports: &[CaseReport]) -> Vec<String> {
    let pairs: Vec<&Separation> = reports.iter().flat_map(|r| &r.separations).collect();
    if pairs.is_empty() {
        return Vec::new();
    }
    let told = pairs.iter().filter(|p| p.separated()).count();
    let mut lines = vec![format!("distinguishability: {told} of {} ordered pairs told apart", pairs.len())];
    for r in reports.iter().filter(|r| !r.separations.is_empty()) {
        lines.extend(r.separations.iter().map(|p| format!("  {} / {p}", r.scenario)));
    }
    lines
}

/// One JUnit testcase per ordered pair of a report.
pub fn junit_cases(report: &CaseReport, xml: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    for p in &report.separations {
        out.push_str(&format!(
            "  <testcase classname=\"{}.distinguish\" name=\"{} vs {}\" time=\"0\">\n",
            xml(&report.scenario),
            xml(&p.active),
            xml(&p.other)
        ));
        let text = xml(&p.to_string());
        if p.separated() {
            out.push_str(&format!("    <system-out>{text}</system-out>\n"));
        } else {
            out.push_str(&format!("    <failure message=\"{text}\">{text}</failure>\n"));
        }
        out.push_str("  </testcase>\n");
    }
    out
}
