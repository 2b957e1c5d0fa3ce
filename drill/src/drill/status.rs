//! What players may see of a drill, and each contestant's result.
//!
//! `DrillStatus` is built field by field from the drill and has no path to the draw: no
//! culprit, no answer key, no fault list and no seed (a seed replays the draw, so it is the
//! truth too; it appears in the debrief). Nor the scenario's name or title, which name the
//! cause: players get the incident title, what the page says, and the debrief reveals the
//! rest. Verdicts are shown, as feedback players earn.

use super::{Drill, Mode, Phase};
use crate::scoring::{self, Attempts};
use crate::taxonomy::FaultClass;
use crate::time::Timestamp;
use crate::verdict::Verdict;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A player-safe view of a drill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrillStatus {
    /// The caller's id for the drill; hosts choose one that does not name the scenario.
    pub id: String,
    /// What the page says (`storefront latency`), the scenario's `incident`.
    pub incident: String,
    pub briefing: String,
    pub phase: Phase,
    pub mode: Mode,
    pub time_limit_seconds: u32,
    /// Clock time since injection (0 before it).
    pub elapsed_ms: u64,
    /// Clock time left (the full limit before injection, 0 once over).
    pub remaining_ms: u64,
    pub hints_available: usize,
    pub hints: Vec<HintView>,
    pub diagnoses: Vec<DiagnosisView>,
    /// The first correct contestant in first-correct-wins; the best score once an
    /// all-teams-play drill is over.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub winner: Option<String>,
}

/// An unlocked hint as shown to players.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HintView {
    pub contestant: String,
    pub text: String,
    pub cost: u32,
    /// Milliseconds since injection.
    pub at_ms: i64,
}

/// A judged diagnosis as shown to players.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosisView {
    pub player: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    pub service: String,
    pub fault_class: FaultClass,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub at_ms: i64,
    pub verdict: Verdict,
}

/// One contestant's result in one drill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContestantResult {
    /// Team name, or player name without a team.
    pub contestant: String,
    pub is_team: bool,
    pub best_verdict: Option<Verdict>,
    /// Milliseconds from injection to the first correct diagnosis.
    pub correct_after_ms: Option<u64>,
    pub wrong: u32,
    pub partial: u32,
    pub hint_cost: u32,
    pub score: u32,
}

// === impl Drill ===

impl Drill {
    /// What players may see at `now` (does not advance the phase; call `tick` for that).
    pub fn status(&self, now: Timestamp) -> DrillStatus {
        let elapsed = self.elapsed(now);
        let limit = self.scenario.time_limit();
        let origin = self.injected_at.unwrap_or(self.created_at);
        DrillStatus {
            id: self.id.clone(),
            incident: self.scenario.incident.clone(),
            briefing: self.scenario.briefing.clone(),
            phase: self.phase,
            mode: self.mode.clone(),
            time_limit_seconds: self.scenario.time_limit_seconds,
            elapsed_ms: elapsed.as_millis() as u64,
            remaining_ms: limit.saturating_sub(elapsed).as_millis() as u64,
            hints_available: self.scenario.hints.len(),
            hints: self.hint_views(origin),
            diagnoses: self.diagnosis_views(origin),
            winner: self.winner(),
        }
    }

    fn hint_views(&self, origin: Timestamp) -> Vec<HintView> {
        let hints = &self.scenario.hints;
        self.hints
            .iter()
            .map(|h| HintView {
                contestant: h.contestant.clone(),
                text: hints[h.index].text.clone(),
                cost: hints[h.index].cost,
                at_ms: h.at.offset_from(origin),
            })
            .collect()
    }

    fn diagnosis_views(&self, origin: Timestamp) -> Vec<DiagnosisView> {
        self.diagnoses
            .iter()
            .map(|d| DiagnosisView {
                player: d.submission.player.clone(),
                team: d.submission.team.clone(),
                service: d.submission.service.clone(),
                fault_class: d.submission.fault_class,
                note: d.submission.note.clone(),
                at_ms: d.at.offset_from(origin),
                verdict: d.verdict,
            })
            .collect()
    }

    /// The winner, as described on `DrillStatus::winner`.
    pub fn winner(&self) -> Option<String> {
        match &self.mode {
            Mode::FirstCorrectWins => self
                .diagnoses
                .iter()
                .find(|d| d.verdict == Verdict::Correct)
                .map(|d| d.submission.contestant().to_string()),
            Mode::AllTeamsPlay { .. } => {
                let over = !matches!(self.phase, Phase::Pending | Phase::WarmUp | Phase::Active);
                let results = self.results();
                let best = results
                    .iter()
                    .filter(|r| r.correct_after_ms.is_some())
                    .max_by_key(|r| (r.score, std::cmp::Reverse(r.correct_after_ms)))?;
                over.then(|| best.contestant.clone())
            }
        }
    }

    /// Every contestant's result, best score first. In all-teams-play every team is listed,
    /// also those that never answered.
    pub fn results(&self) -> Vec<ContestantResult> {
        let mut names: BTreeSet<String> = self
            .diagnoses
            .iter()
            .map(|d| d.submission.contestant().to_string())
            .chain(self.hints.iter().map(|h| h.contestant.clone()))
            .collect();
        if let Mode::AllTeamsPlay { teams } = &self.mode {
            names.extend(teams.iter().cloned());
        }
        let mut results: Vec<_> = names.iter().map(|n| self.result_of(n)).collect();
        results.sort_by(|a, b| b.score.cmp(&a.score).then(a.contestant.cmp(&b.contestant)));
        results
    }

    fn result_of(&self, contestant: &str) -> ContestantResult {
        let origin = self.injected_at.unwrap_or(self.created_at);
        let mine: Vec<_> = self.diagnoses.iter().filter(|d| d.submission.contestant() == contestant).collect();
        let first = |v: Verdict| mine.iter().find(|d| d.verdict == v).map(|d| d.at.since(origin));
        let count = |v: Verdict| mine.iter().filter(|d| d.verdict == v).count() as u32;
        let hint_cost =
            self.hints.iter().filter(|h| h.contestant == contestant).map(|h| self.scenario.hints[h.index].cost).sum();
        let attempts = Attempts {
            difficulty: self.scenario.difficulty,
            time_limit: self.scenario.time_limit(),
            correct_after: first(Verdict::Correct),
            first_partial_after: first(Verdict::Partial),
            wrong: count(Verdict::Wrong),
            partial: count(Verdict::Partial),
            hint_cost,
        };
        ContestantResult {
            contestant: contestant.to_string(),
            is_team: mine.iter().any(|d| d.submission.team.is_some())
                || matches!(&self.mode, Mode::AllTeamsPlay { teams } if teams.contains(contestant)),
            best_verdict: mine.iter().map(|d| d.verdict).max(),
            correct_after_ms: attempts.correct_after.map(|d| d.as_millis() as u64),
            wrong: attempts.wrong,
            partial: attempts.partial,
            hint_cost,
            score: scoring::score(&attempts),
        }
    }
}
