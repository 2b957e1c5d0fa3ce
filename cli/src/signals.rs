//! A scenario's signals checked on real backends, in the three phases of a verification:
//! none may hold at baseline, each must hold within its deadline once the faults are active,
//! none may hold after the revert. `firedrill verify` runs them on the local lab it starts;
//! `firedrill signals` runs one phase on backends that run elsewhere (a kind cluster's).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use firedrill_drill::scenario::Signal;
use serde::Serialize;

use crate::backends::Backends;
use crate::http::HttpError;
use crate::output::Progress;

const POLL_EVERY: Duration = Duration::from_secs(2);

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

/// When each signal first held: seconds after the start of the wait, and the value.
pub type Seen = BTreeMap<String, (f64, f64)>;

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

/// Polls until every signal has held once or the longest `withinSeconds` has passed since
/// `started`; `between(seconds)` runs before each poll (lease renewal, load steps).
pub async fn until_held<E: From<HttpError>>(
    backends: &Backends,
    signals: &[&Signal],
    started: Instant,
    progress: &Progress,
    mut between: impl AsyncFnMut(f64) -> Result<(), E>,
) -> Result<Seen, E> {
    let deadline = Duration::from_secs(signals.iter().map(|s| u64::from(s.within_seconds)).max().unwrap_or(0));
    let mut seen = Seen::new();
    while started.elapsed() <= deadline && seen.len() < signals.len() {
        tokio::time::sleep(POLL_EVERY).await;
        let t = started.elapsed().as_secs_f64();
        progress.tick(&format!("signals {}/{} after {t:.0} s", seen.len(), signals.len()));
        between(t).await?;
        for s in signals.iter().filter(|s| !seen.contains_key(&s.name)).collect::<Vec<_>>() {
            if let Some(v) = backends.query(&s.query).await?
                && s.holds(v)
            {
                seen.insert(s.name.clone(), (t, v));
            }
        }
    }
    Ok(seen)
}

/// A note per signal that held, a failure (with its last value) per signal that did not.
pub async fn judge_held(
    backends: &Backends,
    signals: &[&Signal],
    seen: &Seen,
    found: &mut Findings,
) -> Result<(), HttpError> {
    for s in signals {
        match seen.get(&s.name) {
            Some((at, v)) => found.notes.push(format!("`{}` held after {at:.0} s ({v:.4})", s.name)),
            None => {
                let last = backends.query(&s.query).await?.map_or("no data".to_string(), |v| format!("{v:.4}"));
                found.failures.push(format!(
                    "`{}` did not hold within {} s: {} {} {} (last value {last})",
                    s.name,
                    s.within_seconds,
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
        tokio::time::sleep(POLL_EVERY).await;
    }
}
