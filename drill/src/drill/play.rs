//! What happens while the clock runs: hints unlocked, diagnoses judged, signals observed.

use super::{Drill, DrillError, Ending, Mode, Phase};
use crate::scenario::Hint;
use crate::taxonomy::FaultClass;
use crate::time::Timestamp;
use crate::topology;
use crate::verdict::{self, Verdict};
use serde::{Deserialize, Serialize};

/// A player's answer, as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Submission {
    pub player: String,
    /// Required in all-teams-play.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    pub service: String,
    pub fault_class: FaultClass,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A judged diagnosis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnosis {
    #[serde(flatten)]
    pub submission: Submission,
    pub at: Timestamp,
    pub verdict: Verdict,
}

/// A hint a contestant unlocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HintUnlock {
    /// Index into the scenario's hints.
    pub index: usize,
    /// The team, or the player when there are no teams.
    pub contestant: String,
    pub at: Timestamp,
}

// === impl Submission ===

impl Submission {
    /// Who is scored for this answer: the team when there is one, else the player.
    pub fn contestant(&self) -> &str {
        self.team.as_deref().unwrap_or(&self.player)
    }
}

// === impl Drill ===

impl Drill {
    /// Unlocks `contestant`'s next hint if its time has come.
    pub fn unlock_hint(&mut self, now: Timestamp, contestant: &str) -> Result<Hint, DrillError> {
        self.advance(now, "unlock a hint", &[Phase::Active], "active")?;
        let index = self.hints.iter().filter(|h| h.contestant == contestant).count();
        let hint = self.scenario.hints.get(index).cloned().ok_or(DrillError::NoMoreHints)?;
        let elapsed = self.elapsed(now).as_secs();
        if elapsed < u64::from(hint.after_seconds) {
            return Err(DrillError::HintLocked(u64::from(hint.after_seconds) - elapsed));
        }
        self.hints.push(HintUnlock { index, contestant: contestant.to_string(), at: now });
        Ok(hint)
    }

    /// Judges a diagnosis and records it. In first-correct-wins a correct answer solves the
    /// drill; in all-teams-play the drill is solved once every team is correct.
    pub fn diagnose(&mut self, now: Timestamp, s: Submission) -> Result<Verdict, DrillError> {
        self.advance(now, "diagnose", &[Phase::Active], "active")?;
        self.check_submission(&s)?;
        let verdict = verdict::judge(&self.draw.culprit.answer, &s.service, s.fault_class);
        self.diagnoses.push(Diagnosis { submission: s, at: now, verdict });
        let solved = match &self.mode {
            Mode::FirstCorrectWins => verdict == Verdict::Correct,
            Mode::AllTeamsPlay { teams } => teams.iter().all(|t| self.is_correct(t)),
        };
        if solved {
            self.end(Ending::Solved, now);
        }
        Ok(verdict)
    }

    fn check_submission(&self, s: &Submission) -> Result<(), DrillError> {
        if topology::service(&s.service).is_none() {
            return Err(DrillError::UnknownService(s.service.clone(), topology::service_names()));
        }
        if let Mode::AllTeamsPlay { teams } = &self.mode {
            let list = || teams.iter().cloned().collect::<Vec<_>>().join(", ");
            match &s.team {
                None => return Err(DrillError::TeamRequired(list())),
                Some(t) if !teams.contains(t) => {
                    return Err(DrillError::UnknownTeam(t.clone(), list()));
                }
                Some(_) => {}
            }
        }
        if self.is_correct(s.contestant()) {
            return Err(DrillError::AlreadyCorrect(s.contestant().to_string()));
        }
        Ok(())
    }

    /// Whether `contestant` already has a correct diagnosis.
    pub(crate) fn is_correct(&self, contestant: &str) -> bool {
        self.diagnoses.iter().any(|d| d.submission.contestant() == contestant && d.verdict == Verdict::Correct)
    }

    /// Records that an expected signal showed at `now` (the caller evaluates the queries).
    /// Returns whether this was its first showing. Signals are accepted until the faults
    /// are reverted.
    pub fn signal_seen(&mut self, now: Timestamp, name: &str) -> Result<bool, DrillError> {
        let live = [Phase::Active, Phase::Solved, Phase::Expired];
        self.advance(now, "record a signal", &live, "active, solved or expired")?;
        let known: Vec<&str> = self.scenario.signals_for(&self.draw.culprit).map(|s| s.name.as_str()).collect();
        if !known.contains(&name) {
            return Err(DrillError::UnknownSignal(name.to_string(), known.join(", ")));
        }
        if self.signals_seen.contains_key(name) {
            return Ok(false);
        }
        self.signals_seen.insert(name.to_string(), now);
        Ok(true)
    }

    /// Clock time since injection: up to `now` while active, up to the end afterwards.
    pub fn elapsed(&self, now: Timestamp) -> std::time::Duration {
        let Some(start) = self.injected_at else {
            return std::time::Duration::ZERO;
        };
        let until = self.ended.map_or(now, |(_, at)| at);
        until.since(start)
    }
}
