//! `firedrill verify`: each scenario run headless on the local lab as a regression test of
//! itself. Baseline (no signal may hold), inject, every expected signal must hold within its
//! deadline on real Prometheus, Jaeger and VictoriaLogs, nothing players can read may give the
//! answer away (`surfaces`), revert, and the signals must clear again. With the culprit's
//! signals, the scenario's decoys are proved visible and harmless ([`decoys`]) and the
//! briefing's claims true while the incident is active ([`claims`]). With `--all-culprits` it
//! also checks that the signals can tell every culprit from every other one of its scenario
//! ([`distinguish`]).

mod claims;
mod decoys;
pub mod distinguish;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use firedrill_drill::distinguish::Separation;
use firedrill_drill::driver::SIGNAL_POLL;
use firedrill_drill::scenario::{Culprit, Query, Signal};
use firedrill_drill::{Draw, Drill, Driver, Mode, Phase, Scenario, Timestamp};

use crate::lab::{Lab, LabOptions};
use crate::output::Progress;
use crate::session::now;
use crate::signals::{self, Findings};
use firedrill_backends::{Backends, NO_PROMETHEUS};

/// How `verify` runs.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    pub lab_dir: PathBuf,
    pub bin_dir: PathBuf,
    /// Seconds of baseline traffic before the baseline check (rate windows need data).
    pub warm_up: Duration,
    /// Longest wait for the signals to clear after revert.
    pub recovery: Duration,
    /// Also watch the other culprits' signals and require each pair to be told apart.
    pub distinguish: bool,
}

/// The outcome of one scenario + culprit.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseReport {
    pub scenario: String,
    pub culprit: String,
    pub seconds: f64,
    #[serde(flatten)]
    pub found: Findings,
    /// With `--all-culprits`: this culprit against every other one of its scenario.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub separations: Vec<Separation>,
    /// Each of the briefing's claims, as read while the incident was active.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<claims::ClaimReport>,
}

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
        found: Findings::default(),
        separations: Vec::new(),
        claims: Vec::new(),
    };
    let lab_opts = LabOptions {
        dir: opts.lab_dir.join(format!("{}-{}", scenario.name, culprit.id)),
        bin_dir: opts.bin_dir.clone(),
        replicas: scenario.replicas.clone(),
        rate: scenario.load.rate_rps,
        mix: scenario.load.mix.loadgen_weights(),
        prometheus: true,
        jaeger: true,
        victorialogs: true,
    };
    match Lab::up(&lab_opts).await {
        Ok(mut lab) => {
            if let Some(missing) = missing_backend(&lab.backends, scenario, culprit, opts.distinguish) {
                report.found.failures.push(missing.into());
            } else if let Err(e) = phases(opts, scenario, culprit, draw, &mut lab, &mut report, progress).await {
                report.found.failures.push(format!("lab error: {e}"));
            }
            let found = &mut report.found;
            let dir = lab.dir.clone();
            lab.down().await;
            if found.failures.is_empty() {
                // Keep a failing case's logs and Prometheus data for the investigation.
                let _ = std::fs::remove_dir_all(dir);
            } else {
                found.notes.push(format!("logs kept in {}", lab_opts.dir.display()));
            }
        }
        Err(e) => report.found.failures.push(format!("lab did not start: {e}")),
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}

/// Why a backend the case needs is not running, if one is not: Prometheus always (the lab's
/// load is judged on it), the others when one of the culprit's signals, a decoy's signal or
/// a claim asks them (or, when `every_culprit`'s signals are watched for distinguishability,
/// one of theirs).
fn missing_backend(
    backends: &Backends,
    scenario: &Scenario,
    culprit: &Culprit,
    every_culprit: bool,
) -> Option<&'static str> {
    if backends.prometheus.is_none() {
        return Some(NO_PROMETHEUS);
    }
    let others = scenario.culprits.iter().filter(|_| every_culprit).flat_map(|c| &c.signals).map(|s| &s.query);
    let decoys = scenario.decoys.iter().flat_map(|d| &d.signals).map(|s| &s.query);
    let claims = scenario.claims.iter().map(|c| &c.query);
    let queries: Vec<&Query> =
        scenario.signals_for(culprit).map(|s| &s.query).chain(others).chain(decoys).chain(claims).collect();
    backends.missing(queries.into_iter())
}

/// Baseline, injection and recovery, driven by the engine's driver exactly as a played
/// drill is: the same deliveries, lease renewals, traffic and signal readings. While the
/// faults are active the other culprits' signals are watched too (when `opts.distinguish`).
async fn phases(
    opts: &VerifyOptions,
    scenario: &Scenario,
    culprit: &Culprit,
    draw: &Draw,
    lab: &mut Lab,
    report: &mut CaseReport,
    progress: &Progress,
) -> anyhow::Result<()> {
    let found = &mut report.found;
    let signals: Vec<&Signal> = scenario.signals_for(culprit).collect();
    let mut watch = distinguish::Watch::new(scenario, culprit, opts.distinguish);
    let (mut decoys, mut claims) = (decoys::Decoys::new(scenario), claims::Claims::new(scenario));
    // Decoy signals must not hold at baseline and must clear after the revert, like the culprit's.
    let checked: Vec<&Signal> = signals.iter().chain(decoys.signals()).copied().collect();
    let backends = lab.backends.clone();
    // The drill's id is in the player's status, which the surface audit reads: neutral, as
    // `play` and the supervisor name theirs.
    let id = "verify".to_string();
    let mut drill =
        Drill::new(id, scenario.clone(), draw.clone(), Mode::FirstCorrectWins, now())?.with_warm_up(opts.warm_up);
    drill.start_warm_up(now())?;
    let mut driver = Driver::default();
    driver.step(&mut drill, lab, now()).await?;
    progress.wait(&format!("{} / {}: baseline traffic", scenario.name, culprit.id), opts.warm_up).await;
    signals::baseline(&backends, &checked, found).await?;
    // Every signal held or past its own deadline, every watched signal of the other culprits,
    // decoy signal and claim settled: waiting longer tells nothing more.
    let settled = |drill: &Drill, decoys: &decoys::Decoys, claims: &claims::Claims, watch: &distinguish::Watch| {
        drill.phase() != Phase::WarmUp
            && drill.signals_settled(now())
            && decoys.settled(drill.elapsed(now()))
            && claims.settled()
            && watch.settled(drill.elapsed(now()))
    };
    while !settled(&drill, &decoys, &claims, &watch) {
        let step = driver.step(&mut drill, lab, now()).await?;
        if drill.phase() == Phase::Active {
            let since = drill.elapsed(now());
            watch.poll(&backends, since).await?;
            decoys.poll(&backends, since).await?;
            if drill.signals_settled(now()) {
                claims.poll(&backends, since).await?;
            }
        }
        let held = drill.signals_seen().len();
        let elapsed = drill.elapsed(now()).as_secs();
        progress.tick(&format!("signals {held}/{} after {elapsed} s", signals.len()));
        // The driver sleeps until its next duty; the watched signals want reading sooner.
        sleep_until(step.wake_at.min(now().plus(SIGNAL_POLL))).await;
    }
    signals::judge(&backends, &signals, &drill.signal_timings(), found).await?;
    decoys.judge(&backends, culprit, found).await?;
    // While the incident is live: nothing players can read may give it away.
    let unfair = crate::surfaces::audit(lab, scenario, draw, &drill, now()).await;
    if unfair.is_empty() {
        found.notes.push("player surface clean: logs, /metrics, VictoriaLogs, Jaeger, drill status".into());
    }
    found.failures.extend(unfair.into_iter().map(|f| format!("player surface: {f}")));
    report.separations = watch.judge(scenario, culprit, &mut report.found);
    report.claims = claims.judge(&mut report.found);
    let found = &mut report.found;
    drill.stop(now())?;
    while drill.phase() != Phase::Reverted {
        let step = driver.step(&mut drill, lab, now()).await?;
        sleep_until(step.wake_at).await;
    }
    Ok(signals::until_cleared(&backends, &checked, opts.recovery, progress, found).await?)
}

/// Sleeps until `at` on the engine's clock (not at all if it has passed).
async fn sleep_until(at: Timestamp) {
    tokio::time::sleep(at.since(now())).await;
}

/// JUnit XML for CI systems: one testcase per scenario + culprit, and one per ordered pair of
/// culprits checked for distinguishability.
pub fn junit(reports: &[CaseReport]) -> String {
    let pairs = reports.iter().flat_map(|r| &r.separations);
    let unseparated = pairs.clone().filter(|p| !p.separated()).count();
    let claims = reports.iter().flat_map(|r| &r.claims);
    let false_claims = claims.clone().filter(|c| !c.held).count();
    let failures = reports.iter().filter(|r| !r.found.failures.is_empty()).count() + unseparated + false_claims;
    let total: f64 = reports.iter().map(|r| r.seconds).sum();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"firedrill verify\" tests=\"{}\" failures=\"{failures}\" time=\"{total:.1}\">\n",
        reports.len() + pairs.count() + claims.count()
    );
    for r in reports {
        out.push_str(&format!(
            "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.1}\">\n",
            xml(&r.scenario),
            xml(&r.culprit),
            r.seconds
        ));
        if !r.found.failures.is_empty() {
            let text = xml(&r.found.failures.join("\n"));
            out.push_str(&format!("    <failure message=\"{}\">{text}</failure>\n", xml(&r.found.failures[0])));
        }
        out.push_str(&format!("    <system-out>{}</system-out>\n  </testcase>\n", xml(&r.found.notes.join("\n"))));
        out.push_str(&distinguish::junit_cases(r, xml));
        for c in &r.claims {
            out.push_str(&claims::junit_case(&r.scenario, &r.culprit, c));
        }
    }
    out.push_str("</testsuite>\n");
    out
}

pub(crate) fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junit_escapes_and_counts_failures() {
        let ok = CaseReport {
            scenario: "a".into(),
            culprit: "x".into(),
            seconds: 1.0,
            found: Findings::default(),
            separations: Vec::new(),
            claims: Vec::new(),
        };
        let mut bad = ok.clone();
        bad.found.failures.push("p95 < 1 & \"x\"".into());
        let text = junit(&[ok, bad]);
        assert!(text.contains("tests=\"2\" failures=\"1\""));
        assert!(text.contains("p95 &lt; 1 &amp; &quot;x&quot;"), "{text}");
    }

    #[test]
    fn junit_has_a_testcase_per_ordered_pair() {
        use firedrill_drill::distinguish::Reading;
        let reading = |held: bool| Reading { signal: "b-slow".into(), held, last: Some(0.5) };
        let pair = |other: &str, held: bool| Separation {
            active: "x".into(),
            other: other.into(),
            separated_by: (!held).then(|| reading(held)),
            readings: vec![reading(held)],
        };
        let mut case = CaseReport {
            scenario: "a".into(),
            culprit: "x".into(),
            seconds: 1.0,
            found: Findings::default(),
            separations: vec![pair("y", false), pair("z", true)],
            claims: Vec::new(),
        };
        case.found.failures.push(case.separations[1].to_string());
        let text = junit(&[case]);
        assert!(text.contains("tests=\"3\" failures=\"2\""), "{text}");
        assert!(text.contains("<testcase classname=\"a.distinguish\" name=\"x vs y\""), "{text}");
        assert!(text.contains("x vs y: told apart by `b-slow` (did not hold; last 0.5000)"), "{text}");
        assert!(text.contains("<failure message=\"x vs z: cannot be told apart"), "{text}");
    }
}
