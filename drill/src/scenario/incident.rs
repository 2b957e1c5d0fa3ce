//! The incident title: what the page says before anyone knows the cause ("storefront latency").
//!
//! Players see it instead of the scenario's name and title, which name the cause. So it must
//! not give the answer away: it may not contain the scenario's name, any culprit's service or
//! a fault-class word. `latency` and `errors` are the exception: they are classes, but they are
//! also the two symptoms every page reports, and every scenario's incident is one or the other.

use super::Scenario;
use crate::taxonomy::FaultClass;
use std::collections::BTreeSet;

/// The longest incident title, in characters: a page's subject line.
pub const MAX_CHARS: usize = 40;

/// Fault classes that are also what a page reports, so an incident title may use them.
const SYMPTOMS: [FaultClass; 2] = [FaultClass::Latency, FaultClass::Errors];

/// Every problem with `scenario.incident`, as messages for its value.
pub(crate) fn problems(scenario: &Scenario) -> Vec<String> {
    let incident = scenario.incident.trim();
    if incident.is_empty() {
        return vec!["incident is empty; expected what the page says, e.g. `storefront latency`".into()];
    }
    let mut problems = Vec::new();
    let chars = incident.chars().count();
    if chars > MAX_CHARS || incident.contains('\n') {
        problems.push(format!(
            "incident is {chars} characters or several lines; expected one line of at most {MAX_CHARS}, e.g. `storefront latency`"
        ));
    }
    let said = words(incident);
    if contains_phrase(&said, &words(&scenario.name)) {
        problems.push(format!(
            "incident `{incident}` names the scenario `{}`; expected the symptom only, so players are not told the cause",
            scenario.name
        ));
    }
    for service in culprit_services(scenario) {
        if said.iter().any(|w| same_word(w, service)) {
            problems.push(format!(
                "incident `{incident}` names `{service}`, a culprit's service; expected where the symptom shows (e.g. storefront, checkout) without naming a suspect"
            ));
        }
    }
    for class in FaultClass::ALL.into_iter().filter(|c| !SYMPTOMS.contains(c)) {
        if words(class.as_str()).iter().any(|f| said.iter().any(|w| same_word(w, f))) {
            problems.push(format!(
                "incident `{incident}` uses the fault-class word `{class}`; expected a symptom (latency, errors, failures, ...) rather than a mechanism"
            ));
        }
    }
    problems
}

/// The services every culprit's faults or answer touch.
fn culprit_services(scenario: &Scenario) -> BTreeSet<&str> {
    let targets = scenario.culprits.iter().flat_map(|c| c.targets.iter().map(|t| t.service.as_str()));
    targets.chain(scenario.culprits.iter().map(|c| c.answer.service.as_str())).collect()
}

/// Lowercase words of letters and digits.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// `word` is `name` or its plural (`hangs`, `timeouts`).
fn same_word(word: &str, name: &str) -> bool {
    word == name || word.strip_suffix('s').is_some_and(|w| w == name)
}

fn contains_phrase(words: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty() && words.windows(phrase.len()).any(|w| w.iter().zip(phrase).all(|(a, b)| same_word(a, b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_whole_words_and_plurals_only() {
        assert!(same_word("timeouts", "timeout") && same_word("api", "api"));
        assert!(!words("rapid storefront").iter().any(|w| same_word(w, "api")), "`rapid` is not `api`");
        let phrase = words("retry-storm");
        assert!(contains_phrase(&words("Retry storm at the edge"), &phrase));
        assert!(!contains_phrase(&words("storm of retries"), &phrase));
    }
}
