//! Verifying the briefing's claims for one culprit: each must be true of the page while the
//! incident is active. A claim may also hold at baseline ("errors under 1%"), so holding right
//! at injection would prove nothing: claims are read only once the culprit's signals have
//! settled (the incident is what the page describes), and each must hold at one of those
//! readings, the last no earlier than its `withinSeconds` after injection.

use std::time::Duration;

use firedrill_drill::scenario::{Claim, Scenario};
use serde::Serialize;

use crate::http::HttpError;
use crate::signals::Findings;
use firedrill_backends::Backends;

/// One claim's outcome in one case, as the report shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimReport {
    pub name: String,
    pub text: String,
    pub query: String,
    pub op: String,
    pub threshold: f64,
    /// Whether it held at a reading while the incident was active.
    pub held: bool,
    /// Seconds after injection of the reading that held, or of the last one.
    pub at_seconds: Option<u64>,
    /// The value read then (`None`: no data).
    pub value: Option<f64>,
}

/// The scenario's claims being read during one case.
pub struct Claims<'a> {
    claims: &'a [Claim],
    reports: Vec<ClaimReport>,
}

impl<'a> Claims<'a> {
    pub fn new(scenario: &'a Scenario) -> Self {
        let reports = scenario
            .claims
            .iter()
            .map(|c| ClaimReport {
                name: c.name.clone(),
                text: c.text.clone(),
                query: c.query.text().into_owned(),
                op: c.op.as_str().to_string(),
                threshold: c.threshold,
                held: false,
                at_seconds: None,
                value: None,
            })
            .collect();
        Claims { claims: &scenario.claims, reports }
    }

    /// True once every claim has held, or been read at or after its deadline.
    pub fn settled(&self) -> bool {
        self.claims.iter().zip(&self.reports).all(|(c, r)| settled(c, r))
    }

    /// Reads the claims still open (call only once the culprit's signals settled). A claim
    /// read at or after its deadline without holding stays false: holding later is too late.
    pub async fn poll(&mut self, backends: &Backends, since_injection: Duration) -> Result<(), HttpError> {
        for (c, r) in self.claims.iter().zip(self.reports.iter_mut()).filter(|(c, r)| !settled(c, r)) {
            let value = backends.query(&c.query).await?;
            r.value = value;
            r.at_seconds = Some(since_injection.as_secs());
            r.held = value.is_some_and(|v| c.holds(v));
        }
        Ok(())
    }

    /// A note per claim that held, a failure per claim that did not; the reports.
    pub fn judge(self, found: &mut Findings) -> Vec<ClaimReport> {
        for r in &self.reports {
            let value = r.value.map_or("no data".to_string(), |v| format!("{v:.4}"));
            let at = r.at_seconds.map_or("never read".to_string(), |s| format!("at {s} s"));
            let line = format!("claim `{}` (\"{}\"): {value} {} {} {at}", r.name, r.text, r.op, r.threshold);
            if r.held {
                found.notes.push(format!("{line}: true"));
            } else {
                found.failures.push(format!("{line}: the briefing is not true in this draw ({})", r.query));
            }
        }
        self.reports
    }
}

fn settled(claim: &Claim, report: &ClaimReport) -> bool {
    report.held || report.at_seconds >= Some(claim.within_seconds.into())
}

/// One JUnit testcase per claim and culprit, so CI lists which draw the page lies in.
pub fn junit_case(scenario: &str, culprit: &str, c: &ClaimReport) -> String {
    use super::xml;
    let value = c.value.map_or("no data".to_string(), |v| format!("{v:.4}"));
    let body = format!("{}: {value} {} {}", c.query, c.op, c.threshold);
    let outcome = if c.held {
        format!("    <system-out>{}</system-out>\n", xml(&body))
    } else {
        format!("    <failure message=\"claim not true: {}\">{}</failure>\n", xml(&c.text), xml(&body))
    };
    format!(
        "  <testcase classname=\"{}.{}.claims\" name=\"{}\" time=\"0\">\n{outcome}  </testcase>\n",
        xml(scenario),
        xml(culprit),
        xml(&c.name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/storefront-errors-after-rollout.yaml");
        Scenario::from_yaml("storefront-errors-after-rollout.yaml", &std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn a_claim_settles_when_it_held_or_was_read_past_its_deadline() {
        let s = scenario();
        let mut claims = Claims::new(&s);
        assert!(!claims.settled(), "nothing read yet");
        for r in claims.reports.iter_mut() {
            r.at_seconds = Some(20);
        }
        claims.reports[0].held = true;
        assert!(!claims.settled(), "read before their deadline, the others may still come true");
        for r in claims.reports.iter_mut() {
            r.at_seconds = Some(60);
        }
        assert!(claims.settled());
    }

    #[test]
    fn a_claim_that_did_not_hold_fails_the_case_and_its_junit_testcase() {
        let s = scenario();
        let mut claims = Claims::new(&s);
        for r in claims.reports.iter_mut() {
            (r.held, r.at_seconds, r.value) = (true, Some(30), Some(0.0));
        }
        claims.reports[1].held = false;
        let mut found = Findings::default();
        let reports = claims.judge(&mut found);
        assert_eq!(found.failures.len(), 1, "{found:?}");
        assert!(found.failures[0].contains("dependencies-latency-normal"), "{found:?}");
        assert_eq!(found.notes.len(), reports.len() - 1);
        let failed = junit_case("storefront-errors-after-rollout", "c", &reports[1]);
        assert!(
            failed.contains("classname=\"storefront-errors-after-rollout.c.claims\"") && failed.contains("<failure"),
            "{failed}"
        );
        assert!(!junit_case("storefront-errors-after-rollout", "c", &reports[0]).contains("<failure"));
    }
}
