//! `firedrill verify`: each scenario run headless on the local lab as a regression test of
//! itself. Baseline (no signal may hold), inject, every expected signal must hold within its
//! deadline on real Prometheus, revert, and the signals must clear again.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use firedrill_drill::scenario::{Culprit, Query, Signal};
use firedrill_drill::{Draw, Scenario};

use crate::lab::{Lab, LabOptions};
use crate::output::Progress;

/// How `verify` runs.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    pub lab_dir: PathBuf,
    pub bin_dir: PathBuf,
    /// Seconds of baseline traffic before the baseline check (rate windows need data).
    pub warm_up: Duration,
    /// Longest wait for the signals to clear after revert.
    pub recovery: Duration,
}

/// The outcome of one scenario + culprit.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseReport {
    pub scenario: String,
    pub culprit: String,
    pub seconds: f64,
    pub failures: Vec<String>,
    pub notes: Vec<String>,
}

const LEASE_SECONDS: u32 = 60;
const RENEW_EVERY: Duration = Duration::from_secs(20);
const POLL_EVERY: Duration = Duration::from_secs(2);

/// Runs one case on a fresh lab. Lab start-up failures are failures of the case.
pub async fn run_case(
    opts: &VerifyOptions,
    scenario: &Scenario,
    culprit: &Culprit,
    draw: &Draw,
    progress: &Progress,
) -> CaseReport {
    let started = Instant::now();
    let mut report = CaseReport {
        scenario: scenario.name.clone(),
        culprit: culprit.id.clone(),
        seconds: 0.0,
        failures: Vec::new(),
        notes: Vec::new(),
    };
    let lab_opts = LabOptions {
        dir: opts.lab_dir.join(format!("{}-{}", scenario.name, culprit.id)),
        bin_dir: opts.bin_dir.clone(),
        replicas: scenario.replicas.clone(),
        rate: scenario.load.rate_rps,
        mix: crate::catalog::mix_flag(scenario),
        prometheus: true,
        jaeger: true,
        victorialogs: true,
    };
    match Lab::up(&lab_opts).await {
        Ok(mut lab) => {
            if let Some(missing) = missing_backend(&lab, scenario, culprit) {
                report.failures.push(missing.into());
            } else if let Err(e) = phases(opts, scenario, culprit, draw, &mut lab, &mut report, progress).await {
                report.failures.push(format!("lab error: {e}"));
            }
            let dir = lab.dir.clone();
            lab.down().await;
            if report.failures.is_empty() {
                // Keep a failing case's logs and Prometheus data for the investigation.
                let _ = std::fs::remove_dir_all(dir);
            } else {
                report.notes.push(format!("logs kept in {}", lab_opts.dir.display()));
            }
        }
        Err(e) => report.failures.push(format!("lab did not start: {e}")),
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}

const NO_PROMETHEUS: &str = "Prometheus is not installed (apt-get install prometheus, or set FIREDRILL_PROMETHEUS)";

/// Why a backend the case needs is not running, if one is not: Prometheus always (the lab's
/// load is judged on it), the others when one of the culprit's signals asks them.
fn missing_backend(lab: &Lab, scenario: &Scenario, culprit: &Culprit) -> Option<&'static str> {
    if lab.prometheus.is_none() {
        return Some(NO_PROMETHEUS);
    }
    let query = scenario.signals_for(culprit).map(|s| &s.query).find(|q| lab.backend(q).is_none())?;
    Some(match query {
        Query::Promql(_) => NO_PROMETHEUS,
        Query::Traces(_) => "Jaeger is not built (tools/jaeger/ensure.sh, or set FIREDRILL_JAEGER)",
        Query::Logsql(_) => "VictoriaLogs is not built (tools/victorialogs/ensure.sh, or set FIREDRILL_VICTORIALOGS)",
    })
}

async fn phases(
    opts: &VerifyOptions,
    scenario: &Scenario,
    culprit: &Culprit,
    draw: &Draw,
    lab: &mut Lab,
    report: &mut CaseReport,
    progress: &Progress,
) -> Result<(), crate::lab::LabError> {
    let signals: Vec<&Signal> = scenario.signals_for(culprit).collect();
    progress.wait(&format!("{} / {}: baseline traffic", scenario.name, culprit.id), opts.warm_up).await;
    for s in &signals {
        match lab.query(&s.query).await? {
            Some(v) if s.holds(v) => report.failures.push(format!(
                "baseline already shows `{}` ({v:.4} {} {})",
                s.name,
                s.op.as_str(),
                s.threshold
            )),
            Some(v) => report.notes.push(format!("`{}` at baseline: {v:.4}", s.name)),
            None => report.notes.push(format!("`{}` at baseline: no data", s.name)),
        }
    }
    let sets = draw.fault_sets();
    lab.deliver(&sets, LEASE_SECONDS).await?;
    let injected = Instant::now();
    let seen = watch_signals(lab, &signals, &sets, scenario, injected, progress).await?;
    for s in &signals {
        match seen.get(&s.name) {
            Some((at, v)) => report.notes.push(format!("`{}` held after {at:.0} s ({v:.4})", s.name)),
            None => {
                let last = lab.query(&s.query).await?.map_or("no data".to_string(), |v| format!("{v:.4}"));
                report.failures.push(format!(
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
    lab.clear().await?;
    lab.set_rate(scenario.load.rate_rps).await?;
    recovery(opts, lab, &signals, report, progress).await
}

/// Polls until every signal has held once or the longest deadline passes; renews the lease
/// and applies load steps meanwhile.
async fn watch_signals(
    lab: &mut Lab,
    signals: &[&Signal],
    sets: &BTreeMap<(String, u32), Vec<firedrill_fault::Fault>>,
    scenario: &Scenario,
    injected: Instant,
    progress: &Progress,
) -> Result<BTreeMap<String, (f64, f64)>, crate::lab::LabError> {
    let deadline = Duration::from_secs(signals.iter().map(|s| u64::from(s.within_seconds)).max().unwrap_or(0));
    let mut seen = BTreeMap::new();
    let mut renewed = Instant::now();
    let mut steps = scenario.load.steps.clone();
    while injected.elapsed() <= deadline && seen.len() < signals.len() {
        tokio::time::sleep(POLL_EVERY).await;
        let t = injected.elapsed().as_secs_f64();
        progress.tick(&format!("{}: signals {}/{} after {t:.0} s", scenario.name, seen.len(), signals.len()));
        if renewed.elapsed() >= RENEW_EVERY {
            lab.deliver(sets, LEASE_SECONDS).await?;
            renewed = Instant::now();
        }
        while let Some(step) = steps.first().filter(|s| f64::from(s.at_seconds) <= t) {
            lab.set_rate(scenario.load.rate_rps * step.rate_multiplier).await?;
            steps.remove(0);
        }
        let pending: Vec<&&Signal> = signals.iter().filter(|s| !seen.contains_key(&s.name)).collect();
        for s in pending {
            if let Some(v) = lab.query(&s.query).await?
                && s.holds(v)
            {
                seen.insert(s.name.clone(), (t, v));
            }
        }
    }
    Ok(seen)
}

async fn recovery(
    opts: &VerifyOptions,
    lab: &Lab,
    signals: &[&Signal],
    report: &mut CaseReport,
    progress: &Progress,
) -> Result<(), crate::lab::LabError> {
    let reverted = Instant::now();
    loop {
        let mut still = Vec::new();
        for s in signals {
            if let Some(v) = lab.query(&s.query).await?
                && s.holds(v)
            {
                still.push(s.name.clone());
            }
        }
        if still.is_empty() {
            report.notes.push(format!("recovered {:.0} s after revert", reverted.elapsed().as_secs_f64()));
            return Ok(());
        }
        if reverted.elapsed() >= opts.recovery {
            report.failures.push(format!(
                "still showing after revert ({} s): {}",
                opts.recovery.as_secs(),
                still.join(", ")
            ));
            return Ok(());
        }
        progress.tick(&format!("waiting for recovery: {}", still.join(", ")));
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// JUnit XML for CI systems: one testcase per scenario + culprit.
pub fn junit(reports: &[CaseReport]) -> String {
    let failures = reports.iter().filter(|r| !r.failures.is_empty()).count();
    let total: f64 = reports.iter().map(|r| r.seconds).sum();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"firedrill verify\" tests=\"{}\" failures=\"{failures}\" time=\"{total:.1}\">\n",
        reports.len()
    );
    for r in reports {
        out.push_str(&format!(
            "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.1}\">\n",
            xml(&r.scenario),
            xml(&r.culprit),
            r.seconds
        ));
        if !r.failures.is_empty() {
            let text = xml(&r.failures.join("\n"));
            out.push_str(&format!("    <failure message=\"{}\">{text}</failure>\n", xml(&r.failures[0])));
        }
        out.push_str(&format!("    <system-out>{}</system-out>\n  </testcase>\n", xml(&r.notes.join("\n"))));
    }
    out.push_str("</testsuite>\n");
    out
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junit_escapes_and_counts_failures() {
        let ok =
            CaseReport { scenario: "a".into(), culprit: "x".into(), seconds: 1.0, failures: vec![], notes: vec![] };
        let bad = CaseReport { failures: vec!["p95 < 1 & \"x\"".into()], ..ok.clone() };
        let text = junit(&[ok, bad]);
        assert!(text.contains("tests=\"2\" failures=\"1\""));
        assert!(text.contains("p95 &lt; 1 &amp; &quot;x&quot;"), "{text}");
    }
}
