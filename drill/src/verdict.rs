//! Judging a diagnosis against the answer key.
//!
//! Right service and right mechanism is correct; right service with the wrong mechanism earns
//! partial credit (the player found where, not what); anything else is wrong.

use crate::scenario::Answer;
use crate::taxonomy::FaultClass;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The verdict on one diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Wrong,
    Partial,
    Correct,
}

/// Judges `service` + `class` against `answer`.
pub fn judge(answer: &Answer, service: &str, class: FaultClass) -> Verdict {
    match (answer.service == service, answer.fault_class == class) {
        (true, true) => Verdict::Correct,
        (true, false) => Verdict::Partial,
        (false, _) => Verdict::Wrong,
    }
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Wrong => "wrong",
            Verdict::Partial => "partial",
            Verdict::Correct => "correct",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_decides_partial_and_class_decides_correct() {
        let answer = Answer { service: "warehouse".into(), fault_class: FaultClass::Hang };
        assert_eq!(judge(&answer, "warehouse", FaultClass::Hang), Verdict::Correct);
        assert_eq!(judge(&answer, "warehouse", FaultClass::Latency), Verdict::Partial);
        assert_eq!(judge(&answer, "inventory", FaultClass::Hang), Verdict::Wrong);
        assert!(Verdict::Correct > Verdict::Partial && Verdict::Partial > Verdict::Wrong);
    }
}
