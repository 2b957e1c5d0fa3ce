//! Answer pools: the distinct answers a scenario's culprits span.
//!
//! A briefing must never narrow the answer to one: if every culprit of a scenario blames the
//! same service, or the same mechanism, a player who has seen the page once knows the answer
//! (or half of it) before looking at a single signal. So every scenario of a catalog must span
//! at least [`MIN_ANSWERS`] distinct answers `(service, faultClass)`, over at least
//! [`MIN_SERVICES`] services and [`MIN_CLASSES`] classes. The rule is not part of loading a
//! scenario (a one-culprit file is a valid recipe to try out); `firedrill scenarios validate`
//! applies it to a catalog, and a test applies it to the shipped one.

use crate::scenario::{Catalog, Scenario};
use crate::taxonomy::FaultClass;
use serde::Serialize;
use std::collections::BTreeSet;

/// Distinct answers `(service, faultClass)` a scenario's culprits must span.
pub const MIN_ANSWERS: usize = 3;
/// Distinct answer services a scenario's culprits must span.
pub const MIN_SERVICES: usize = 2;
/// Distinct answer classes a scenario's culprits must span.
pub const MIN_CLASSES: usize = 2;

/// What a scenario's culprits can be diagnosed as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswerPool {
    pub scenario: String,
    /// Distinct answers, as `service/class`, sorted.
    pub answers: Vec<String>,
    pub services: Vec<String>,
    pub classes: Vec<FaultClass>,
}

/// A scenario whose culprits span too few answers, services or classes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scenario `{scenario}`: its culprits span {}; a briefing must not narrow the answer, add culprits on other services or with other mechanisms", .shortfalls.join(", "))]
pub struct PoolError {
    pub scenario: String,
    /// Each shortfall, e.g. `1 service (warehouse), expected at least 2`.
    pub shortfalls: Vec<String>,
}

// === impl AnswerPool ===

impl AnswerPool {
    /// The pool of `scenario`'s culprits.
    pub fn of(scenario: &Scenario) -> AnswerPool {
        let answers: BTreeSet<(&str, FaultClass)> =
            scenario.culprits.iter().map(|c| (c.answer.service.as_str(), c.answer.fault_class)).collect();
        let services: BTreeSet<&str> = answers.iter().map(|(s, _)| *s).collect();
        let classes: BTreeSet<FaultClass> = answers.iter().map(|(_, c)| *c).collect();
        AnswerPool {
            scenario: scenario.name.clone(),
            answers: answers.iter().map(|(s, c)| format!("{s}/{c}")).collect(),
            services: services.into_iter().map(String::from).collect(),
            classes: classes.into_iter().collect(),
        }
    }

    /// The pools of every scenario of a catalog, in name order.
    pub fn of_catalog(catalog: &Catalog) -> Vec<AnswerPool> {
        catalog.iter().map(AnswerPool::of).collect()
    }

    /// `Ok` when the pool is wide enough, else every shortfall.
    pub fn check(&self) -> Result<(), PoolError> {
        let classes: Vec<&str> = self.classes.iter().map(|c| c.as_str()).collect();
        let counts = [
            (self.answers.len(), MIN_ANSWERS, "answer", self.answers.join(", ")),
            (self.services.len(), MIN_SERVICES, "service", self.services.join(", ")),
            (self.classes.len(), MIN_CLASSES, "class", classes.join(", ")),
        ];
        let shortfalls: Vec<String> = counts
            .into_iter()
            .filter(|(n, min, ..)| n < min)
            .map(|(n, min, what, list)| format!("{} ({list}), expected at least {min}", counted(n, what)))
            .collect();
        if shortfalls.is_empty() { Ok(()) } else { Err(PoolError { scenario: self.scenario.clone(), shortfalls }) }
    }
}

/// `1 answer`, `3 answers`, `2 classes`.
fn counted(n: usize, what: &str) -> String {
    match (n, what) {
        (1, _) => format!("1 {what}"),
        (_, "class") => format!("{n} classes"),
        _ => format!("{n} {what}s"),
    }
}

impl std::fmt::Display for AnswerPool {
    /// `name: 3 answers (a/x, b/y, c/x); 3 services (a, b, c); 2 classes (x, y)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let classes: Vec<&str> = self.classes.iter().map(|c| c.as_str()).collect();
        write!(
            f,
            "{}: {} ({}); {} ({}); {} ({})",
            self.scenario,
            counted(self.answers.len(), "answer"),
            self.answers.join(", "),
            counted(self.services.len(), "service"),
            self.services.join(", "),
            counted(self.classes.len(), "class"),
            classes.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Answer, Culprit};

    fn shipped() -> Catalog {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let mut texts = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("scenarios/ exists") {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|x| x == "yaml") {
                texts.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
            }
        }
        Catalog::load(texts.iter().map(|(n, t)| (n.as_str(), t.as_str()))).expect("the shipped catalog loads")
    }

    fn with_answers(answers: &[(&str, FaultClass)]) -> Scenario {
        let mut s = shipped().iter().next().unwrap().clone();
        let template = s.culprits[0].clone();
        s.culprits = answers
            .iter()
            .enumerate()
            .map(|(i, (service, class))| Culprit {
                id: format!("c{i}"),
                answer: Answer { service: service.to_string(), fault_class: *class },
                ..template.clone()
            })
            .collect();
        s
    }

    #[test]
    fn every_shipped_scenario_has_a_wide_enough_pool() {
        let catalog = shipped();
        assert!(catalog.len() >= 8, "the whole catalog was read");
        for pool in AnswerPool::of_catalog(&catalog) {
            assert_eq!(pool.check(), Ok(()), "{pool}");
        }
    }

    #[test]
    fn a_pool_counts_distinct_answers_services_and_classes() {
        use FaultClass::*;
        let s = with_answers(&[("warehouse", Hang), ("warehouse", Hang), ("pricing", Latency), ("api", Latency)]);
        let pool = AnswerPool::of(&s);
        assert_eq!(pool.answers, ["api/latency", "pricing/latency", "warehouse/hang"]);
        assert_eq!(pool.services, ["api", "pricing", "warehouse"]);
        assert_eq!(pool.classes, [Latency, Hang]);
        assert_eq!(pool.check(), Ok(()));
        let shown = pool.to_string();
        assert!(shown.ends_with(": 3 answers (api/latency, pricing/latency, warehouse/hang); 3 services (api, pricing, warehouse); 2 classes (latency, hang)"), "{shown}");
    }

    #[test]
    fn a_narrow_pool_names_every_shortfall() {
        use FaultClass::*;
        let one_answer = AnswerPool::of(&with_answers(&[("warehouse", Hang), ("warehouse", Hang)]));
        let e = one_answer.check().unwrap_err();
        assert_eq!(
            e.shortfalls,
            [
                "1 answer (warehouse/hang), expected at least 3",
                "1 service (warehouse), expected at least 2",
                "1 class (hang), expected at least 2"
            ]
        );
        assert!(e.to_string().starts_with(&format!("scenario `{}`: its culprits span 1 answer", e.scenario)));
        let one_class = AnswerPool::of(&with_answers(&[("api", Errors), ("pricing", Errors), ("payments", Errors)]));
        assert_eq!(one_class.check().unwrap_err().shortfalls, ["1 class (errors), expected at least 2"]);
        let one_service = AnswerPool::of(&with_answers(&[("api", Errors), ("api", Hang), ("api", Latency)]));
        assert_eq!(one_service.check().unwrap_err().shortfalls, ["1 service (api), expected at least 2"]);
        let two = AnswerPool::of(&with_answers(&[("api", Errors), ("pricing", Hang)]));
        assert_eq!(two.check().unwrap_err().shortfalls, ["2 answers (api/errors, pricing/hang), expected at least 3"]);
    }
}
