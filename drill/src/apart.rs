//! "Which signal would have told them apart": for every wrong or partial diagnosis, the
//! debrief says what the named cause is to this incident and which of the real cause's own
//! signals separate the two, with when each first showed in this drill.
//!
//! Why those signals: `verify --all-culprits` runs every culprit of a scenario and refuses the
//! scenario unless, for every ordered pair, at least one of the other culprit's own signals
//! does not hold (`distinguish`). So when a player names another candidate cause of the same
//! page, at least one of the real cause's own signals would not have shown under it.

use serde::{Deserialize, Serialize};

use crate::drill::Drill;
use crate::taxonomy::FaultClass;
use crate::verdict::Verdict;

/// The real cause's own signal, as the drill saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    pub signal: String,
    /// Milliseconds after the injection it first showed; `None`: it did not show.
    pub first_seen_ms: Option<i64>,
}

/// For one wrong or partial diagnosis: what it named, what that is to this incident, and the
/// signals that told the real cause from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TellingApart {
    pub player: String,
    pub service: String,
    pub fault_class: FaultClass,
    pub verdict: Verdict,
    /// The other candidate causes of this page with that answer (culprit ids), if any.
    pub candidates: Vec<String>,
    pub evidence: Vec<Evidence>,
    /// The explanation, in a sentence or two.
    pub text: String,
}

/// One entry per distinct (player, service, class) that was not correct, in diagnosis order.
pub fn telling_apart(drill: &Drill) -> Vec<TellingApart> {
    let culprit = &drill.draw().culprit;
    let origin = drill.injected_at().unwrap_or_else(|| drill.status_origin());
    let evidence: Vec<Evidence> = culprit
        .signals
        .iter()
        .map(|s| Evidence {
            signal: s.name.clone(),
            first_seen_ms: drill.signals_seen().get(&s.name).map(|t| t.as_millis() as i64 - origin.as_millis() as i64),
        })
        .collect();
    let listed = list(&evidence);
    let truth = format!("{} / {}", culprit.answer.service, culprit.answer.fault_class);
    let mut out: Vec<TellingApart> = Vec::new();
    for d in drill.diagnoses().iter().filter(|d| d.verdict != Verdict::Correct) {
        let s = &d.submission;
        if out.iter().any(|o| o.player == s.player && o.service == s.service && o.fault_class == s.fault_class) {
            continue;
        }
        let said = format!("{} / {}", s.service, s.fault_class);
        let candidates: Vec<String> = drill
            .scenario()
            .culprits
            .iter()
            .filter(|c| c.id != culprit.id && c.answer.service == s.service && c.answer.fault_class == s.fault_class)
            .map(|c| c.id.clone())
            .collect();
        let text = if !candidates.is_empty() {
            format!(
                "{said} was a candidate cause of this page too ({}), and it looks the same at the edge. \
                 What told them apart is the real cause's own evidence, of which at least one would not have \
                 shown under {said}: {listed}.",
                candidates.join(", ")
            )
        } else if d.verdict == Verdict::Partial {
            format!("Right service, wrong mechanism: it was {truth}, not {said}. The mechanism shows in: {listed}.")
        } else {
            format!("No candidate cause of this page is {said}; it was {truth}. What pointed there: {listed}.")
        };
        out.push(TellingApart {
            player: s.player.clone(),
            service: s.service.clone(),
            fault_class: s.fault_class,
            verdict: d.verdict,
            candidates,
            evidence: evidence.clone(),
            text,
        });
    }
    out
}

/// `` `a` (first showed at +0:42), `b` (did not show) ``; the scenario-wide symptoms when the
/// culprit has no signals of its own.
fn list(evidence: &[Evidence]) -> String {
    if evidence.is_empty() {
        return "the isolating queries below (this cause has no signals of its own)".into();
    }
    let one = |e: &Evidence| match e.first_seen_ms {
        Some(ms) => format!("`{}` (first showed at {})", e.signal, crate::debrief::clock(ms)),
        None => format!("`{}` (not seen in this drill)", e.signal),
    };
    evidence.iter().map(one).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Draw, Mode, Scenario, Submission, Timestamp};

    fn scenario() -> Scenario {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let catalog = crate::scenario::Catalog::load(
            std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).unwrap()))
                .collect::<Vec<_>>()
                .iter()
                .map(|(f, t)| (f.as_str(), t.as_str())),
        )
        .unwrap();
        // A scenario with two culprits of different answers, so one can be named for the other.
        catalog.iter().find(|s| pair(s).is_some()).expect("a scenario with two answers").clone()
    }

    /// Two culprits with different answers, the first with signals of its own.
    fn pair(s: &Scenario) -> Option<(&crate::scenario::Culprit, &crate::scenario::Culprit)> {
        s.culprits
            .iter()
            .flat_map(|a| s.culprits.iter().map(move |b| (a, b)))
            .find(|(a, b)| a.answer != b.answer && !a.signals.is_empty())
    }

    fn played(s: &Scenario) -> (Drill, crate::scenario::Culprit, crate::scenario::Culprit) {
        let (a, b) = pair(s).unwrap();
        let draw = Draw::of_culprit(s, &a.id, 1).unwrap();
        let mut d = Drill::new("d".to_string(), s.clone(), draw, Mode::FirstCorrectWins, Timestamp(0))
            .unwrap()
            .with_warm_up(std::time::Duration::ZERO);
        d.start_warm_up(Timestamp(0)).unwrap();
        d.activate(Timestamp(1000)).unwrap();
        (d, a.clone(), b.clone())
    }

    fn say(d: &mut Drill, at_s: u64, service: &str, class: FaultClass) {
        let s =
            Submission { player: "alice".into(), team: None, service: service.into(), fault_class: class, note: None };
        d.diagnose(Timestamp(at_s * 1000), s).unwrap();
    }

    #[test]
    fn naming_another_candidate_names_it_and_the_evidence_against_it() {
        let s = scenario();
        let (mut d, a, b) = played(&s);
        let first = a.signals[0].name.clone();
        d.signal_seen(Timestamp(43_000), &first).unwrap();
        say(&mut d, 60, &b.answer.service, b.answer.fault_class);
        let apart = telling_apart(&d);
        assert_eq!(apart.len(), 1, "{apart:?}");
        let t = &apart[0];
        assert_eq!(t.verdict, crate::verdict::judge(&a.answer, &b.answer.service, b.answer.fault_class));
        assert_ne!(t.verdict, Verdict::Correct);
        assert!(t.candidates.contains(&b.id), "{t:?}");
        assert!(t.text.contains(&format!("`{first}` (first showed at +0:42)")), "{}", t.text);
        assert!(t.text.contains("was a candidate cause of this page too"), "{}", t.text);
    }

    #[test]
    fn a_wrong_answer_that_is_no_candidate_says_so_and_correct_answers_need_nothing() {
        let s = scenario();
        let (mut d, a, _) = played(&s);
        let nobody = crate::topology::SERVICES
            .iter()
            .map(|t| t.name)
            .find(|n| s.culprits.iter().all(|c| c.answer.service != *n))
            .expect("a service no culprit names");
        say(&mut d, 30, nobody, FaultClass::Latency);
        say(&mut d, 31, nobody, FaultClass::Latency);
        let apart = telling_apart(&d);
        assert_eq!(apart.len(), 1, "the same answer twice is explained once: {apart:?}");
        assert!(apart[0].candidates.is_empty());
        assert!(
            apart[0].text.starts_with(&format!("No candidate cause of this page is {nobody} / latency")),
            "{}",
            apart[0].text
        );
        assert!(apart[0].text.contains("(not seen in this drill)"), "{}", apart[0].text);
        let mut right = played(&s).0;
        say(&mut right, 30, &a.answer.service, a.answer.fault_class);
        assert!(telling_apart(&right).is_empty());
    }
}
