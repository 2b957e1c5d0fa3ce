//! A scenario's signals checked on real backends, in the three phases of a verification:
//! none may hold at baseline, each must hold within its deadline once the faults are active,
//! none may hold after the revert. `firedrill verify` runs them on the local lab it starts;
//! `firedrill signals` runs one phase on backends that run elsewhere (a kind cluster's).

pub mod command;

use std::time::{Duration, Instant};

use firedrill_drill::driver::{SIGNAL_POLL, SignalTiming, Timeliness};
use firedrill_drill::scenario::Signal;
use serde::Serialize;

use crate::http::HttpError;
use crate::output::Progress;
use firedrill_backends::Backends;

/// What a check found: failures fail it; notes (values seen, timings) explain it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Findings {
    pub failures: Vec<String>,
    pub notes: Vec<String>,
}

impl Findings {
    /// Failures as `  - ...` lines, then notes indented, as lines that stay.
    pub fn print(&self, progress: &Progress) {
        let failures = self.failures.iter().map(|f| format!("  - {f}"));
        for line in failures.chain(self.notes.iter().map(|n| format!("    {n}"))) {
            progress.say(&line);
        }
    }
}

/// Before injection: a signal that already holds cannot tell the incident from normal.
pub async fn baseline(backends: &Backends, signals: &[&Signal], found: &mut Findings) -> Result<(), HttpError> {
    for s in signals {
        match backends.query(&s.query).await? {
            Some(v) if s.holds(v) => found.failures.push(format!(
                "baseline already shows `{}` ({v:.4} {} {})",
                s.name,
                s.op.as_str(),
                s.threshold
            )),
            Some(v) => found.notes.push(format!("`{}` at baseline: {v:.4}", s.name)),
            None => found.notes.push(format!("`{}` at baseline: no data", s.name)),
        }
    }
    Ok(())
}

/// For backends whose faults someone else injected just before (`firedrill signals --phase
/// active`): polls every [`SIGNAL_POLL`] until each signal has held or passed its own
/// deadline, counted from `started`.
pub async fn first_held(
    backends: &Backends,
    signals: &[&Signal],
    started: Instant,
    progress: &Progress,
) -> Result<Vec<SignalTiming>, HttpError> {
    let mut timings: Vec<SignalTiming> = signals.iter().map(|s| SignalTiming::of(s, None)).collect();
    let waiting = |t: &[SignalTiming]| t.iter().any(|t| t.first_held.is_none() && started.elapsed() <= t.deadline);
    while waiting(&timings) {
        tokio::time::sleep(SIGNAL_POLL).await;
        let held = timings.iter().filter(|t| t.first_held.is_some()).count();
        progress.tick(&format!("signals {held}/{} after {:.0} s", signals.len(), started.elapsed().as_secs_f64()));
        let at = started.elapsed();
        for (s, timing) in signals.iter().zip(timings.iter_mut()).filter(|(_, t)| t.first_held.is_none()) {
            if backends.query(&s.query).await?.is_some_and(|v| s.holds(v)) {
                timing.first_held = Some(at);
            }
        }
    }
    Ok(timings)
}

/// Each signal judged by its own deadline: a note when it held in time (with its value now),
/// a failure when it held late or not at all (with its last value).
pub async fn judge(
    backends: &Backends,
    signals: &[&Signal],
    timings: &[SignalTiming],
    found: &mut Findings,
) -> Result<(), HttpError> {
    for (s, t) in signals.iter().zip(timings) {
        let deadline = t.deadline.as_secs();
        match (t.timeliness(), t.first_held) {
            (Timeliness::OnTime, Some(at)) => {
                // The value once every signal has had its turn: the margin a threshold has,
                // which is what tuning a scenario needs to see.
                let now = backends.query(&s.query).await?.map_or("no data".to_string(), |v| format!("{v:.4}"));
                found.notes.push(format!(
                    "`{}` held after {} s (deadline {deadline} s); now {now} {} {}",
                    s.name,
                    at.as_secs(),
                    s.op.as_str(),
                    s.threshold
                ))
            }
            (Timeliness::Late, Some(at)) => found.failures.push(format!(
                "`{}` held only after {} s, past its deadline of {deadline} s: {} {} {}",
                s.name,
                at.as_secs(),
                s.query.text(),
                s.op.as_str(),
                s.threshold
            )),
            _ => {
                let last = backends.query(&s.query).await?.map_or("no data".to_string(), |v| format!("{v:.4}"));
                found.failures.push(format!(
                    "`{}` did not hold within its deadline of {deadline} s: {} {} {} (last value {last})",
                    s.name,
                    s.query.text(),
                    s.op.as_str(),
                    s.threshold
                ));
            }
        }
    }
    Ok(())
}

/// After the revert: polls until no signal holds, for at most `within`.
pub async fn until_cleared(
    backends: &Backends,
    signals: &[&Signal],
    within: Duration,
    progress: &Progress,
    found: &mut Findings,
) -> Result<(), HttpError> {
    let reverted = Instant::now();
    loop {
        let mut still = Vec::new();
        for s in signals {
            if let Some(v) = backends.query(&s.query).await?
                && s.holds(v)
            {
                still.push(s.name.clone());
            }
        }
        if still.is_empty() {
            found.notes.push(format!("recovered {:.0} s after revert", reverted.elapsed().as_secs_f64()));
            return Ok(());
        }
        if reverted.elapsed() >= within {
            let msg = format!("still showing after revert ({} s): {}", within.as_secs(), still.join(", "));
            found.failures.push(msg);
            return Ok(());
        }
        progress.tick(&format!("waiting for recovery: {}", still.join(", ")));
        tokio::time::sleep(SIGNAL_POLL).await;
    }
}
