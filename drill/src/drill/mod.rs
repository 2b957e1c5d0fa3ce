//! One played round of a scenario: a state machine driven by the caller's clock.
//!
//! Pending -> WarmUp (baseline traffic) -> Active (faults delivered, clock starts) ->
//! Solved | Expired -> Reverted (faults removed) -> Debriefed. Each transition is a method
//! taking `now`; a transition from the wrong phase is an error and changes nothing. The drill
//! holds the truth (the draw), so it is for the supervisor only; players see `DrillStatus`.

mod play;
mod status;

#[cfg(test)]
mod tests;

pub use play::{Diagnosis, HintUnlock, Submission};
pub use status::{ContestantResult, DiagnosisView, DrillStatus, HintView};

use crate::draw::Draw;
use crate::scenario::Scenario;
use crate::time::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Where a drill is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Pending,
    WarmUp,
    Active,
    Solved,
    Expired,
    Reverted,
    Debriefed,
}

impl Phase {
    /// The phase as written in JSON and shown to players (`warm-up`).
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "pending",
            Phase::WarmUp => "warm-up",
            Phase::Active => "active",
            Phase::Solved => "solved",
            Phase::Expired => "expired",
            Phase::Reverted => "reverted",
            Phase::Debriefed => "debriefed",
        }
    }
}

/// How a drill is played.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "mode")]
pub enum Mode {
    /// The first correct diagnosis solves the drill; later diagnoses are refused.
    FirstCorrectWins,
    /// Every team plays to its own correct answer; the drill ends when all teams are correct
    /// or time is up.
    AllTeamsPlay { teams: BTreeSet<String> },
}

/// Why the drill stopped running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ending {
    Solved,
    TimeUp,
    Stopped,
}

/// A refused operation; the drill is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrillError {
    #[error("cannot {action} while the drill is {phase:?}; expected it {expected}")]
    WrongPhase { action: &'static str, phase: Phase, expected: &'static str },
    #[error("time went backwards: {now} ms is before the last event at {last} ms")]
    TimeWentBackwards { now: u64, last: u64 },
    #[error("draw is for scenario `{draw}`, not `{scenario}`")]
    DrawMismatch { draw: String, scenario: String },
    #[error("all-teams-play needs at least one team")]
    NoTeams,
    #[error("a diagnosis in all-teams-play needs a team; expected one of {0}")]
    TeamRequired(String),
    #[error("unknown team `{0}`; expected one of {1}")]
    UnknownTeam(String, String),
    #[error("unknown service `{0}`; expected one of {1}")]
    UnknownService(String, String),
    #[error("{0} already has a correct diagnosis")]
    AlreadyCorrect(String),
    #[error("no more hints")]
    NoMoreHints,
    #[error("the next hint unlocks in {0} s")]
    HintLocked(u64),
    #[error("unknown signal `{0}` for this drill; expected one of {1}")]
    UnknownSignal(String, String),
}

/// A drill and its whole record. Contains the truth: never show it to players.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Drill {
    id: String,
    scenario: Scenario,
    draw: Draw,
    mode: Mode,
    phase: Phase,
    created_at: Timestamp,
    last_event: Timestamp,
    warm_up_at: Option<Timestamp>,
    injected_at: Option<Timestamp>,
    ended: Option<(Ending, Timestamp)>,
    reverted_at: Option<Timestamp>,
    debriefed_at: Option<Timestamp>,
    hints: Vec<HintUnlock>,
    diagnoses: Vec<Diagnosis>,
    signals_seen: BTreeMap<String, Timestamp>,
    /// Baseline traffic before the faults go in, in ms (0: inject as soon as delivered).
    #[serde(default)]
    warm_up_ms: u64,
}

// === impl Drill ===

impl Drill {
    /// A pending drill of `scenario` running `draw`.
    pub fn new(
        id: impl Into<String>,
        scenario: Scenario,
        draw: Draw,
        mode: Mode,
        now: Timestamp,
    ) -> Result<Drill, DrillError> {
        if draw.scenario != scenario.name {
            return Err(DrillError::DrawMismatch { draw: draw.scenario, scenario: scenario.name });
        }
        if matches!(&mode, Mode::AllTeamsPlay { teams } if teams.is_empty()) {
            return Err(DrillError::NoTeams);
        }
        Ok(Drill {
            id: id.into(),
            scenario,
            draw,
            mode,
            phase: Phase::Pending,
            created_at: now,
            last_event: now,
            warm_up_at: None,
            injected_at: None,
            ended: None,
            reverted_at: None,
            debriefed_at: None,
            hints: Vec::new(),
            diagnoses: Vec::new(),
            signals_seen: BTreeMap::new(),
            warm_up_ms: 0,
        })
    }

    /// The same drill with `warm_up` of baseline traffic before the faults go in.
    pub fn with_warm_up(mut self, warm_up: std::time::Duration) -> Drill {
        self.warm_up_ms = u64::try_from(warm_up.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// How long the warm-up at baseline traffic lasts.
    pub fn warm_up(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.warm_up_ms)
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The truth: which culprit runs and the faults to deliver.
    pub fn draw(&self) -> &Draw {
        &self.draw
    }

    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    /// The phase as of the last call; `tick` brings it up to `now`.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn injected_at(&self) -> Option<Timestamp> {
        self.injected_at
    }

    pub fn warm_up_at(&self) -> Option<Timestamp> {
        self.warm_up_at
    }

    /// Where relative times count from: injection, or creation before it.
    pub fn status_origin(&self) -> Timestamp {
        self.injected_at.unwrap_or(self.created_at)
    }

    pub fn ending(&self) -> Option<(Ending, Timestamp)> {
        self.ended
    }

    pub fn reverted_at(&self) -> Option<Timestamp> {
        self.reverted_at
    }

    pub fn hints(&self) -> &[HintUnlock] {
        &self.hints
    }

    pub fn diagnoses(&self) -> &[Diagnosis] {
        &self.diagnoses
    }

    /// Signal name -> when it first showed.
    pub fn signals_seen(&self) -> &BTreeMap<String, Timestamp> {
        &self.signals_seen
    }

    /// Pending -> WarmUp: baseline traffic starts.
    pub fn start_warm_up(&mut self, now: Timestamp) -> Result<(), DrillError> {
        self.advance(now, "start the warm-up", &[Phase::Pending], "pending")?;
        self.phase = Phase::WarmUp;
        self.warm_up_at = Some(now);
        Ok(())
    }

    /// WarmUp -> Active: the faults were delivered; the clock starts at `now`.
    pub fn activate(&mut self, now: Timestamp) -> Result<(), DrillError> {
        self.advance(now, "activate", &[Phase::WarmUp], "warming up")?;
        self.phase = Phase::Active;
        self.injected_at = Some(now);
        Ok(())
    }

    /// Brings the phase up to `now`: an active drill past its time limit expires.
    pub fn tick(&mut self, now: Timestamp) -> Result<Phase, DrillError> {
        self.check_time(now)?;
        if let Some(deadline) = self.deadline()
            && self.phase == Phase::Active
            && now >= deadline
        {
            self.end(Ending::TimeUp, deadline);
        }
        self.last_event = now;
        Ok(self.phase)
    }

    /// Ends a drill early (the operator or player gave up). Running drills only.
    pub fn stop(&mut self, now: Timestamp) -> Result<(), DrillError> {
        let running = [Phase::Pending, Phase::WarmUp, Phase::Active];
        self.advance(now, "stop", &running, "pending, warming up or active")?;
        self.end(Ending::Stopped, now);
        Ok(())
    }

    /// Solved | Expired -> Reverted: the faults were removed.
    pub fn revert(&mut self, now: Timestamp) -> Result<(), DrillError> {
        let over = [Phase::Solved, Phase::Expired];
        self.advance(now, "revert", &over, "solved or expired")?;
        self.phase = Phase::Reverted;
        self.reverted_at = Some(now);
        Ok(())
    }

    /// Reverted -> Debriefed, returning the debrief; again later, the same debrief.
    pub fn debrief(&mut self, now: Timestamp) -> Result<crate::Debrief, DrillError> {
        if self.phase != Phase::Debriefed {
            self.advance(now, "debrief", &[Phase::Reverted], "reverted")?;
            self.phase = Phase::Debriefed;
            self.debriefed_at = Some(now);
        }
        Ok(crate::debrief::Debrief::of(self))
    }

    /// When the clock runs out, once active.
    pub fn deadline(&self) -> Option<Timestamp> {
        Some(self.injected_at?.plus(self.scenario.time_limit()))
    }

    fn end(&mut self, ending: Ending, at: Timestamp) {
        self.phase = match ending {
            Ending::Solved => Phase::Solved,
            Ending::TimeUp | Ending::Stopped => Phase::Expired,
        };
        self.ended = Some((ending, at));
    }

    fn check_time(&self, now: Timestamp) -> Result<(), DrillError> {
        if now < self.last_event {
            return Err(DrillError::TimeWentBackwards { now: now.0, last: self.last_event.0 });
        }
        Ok(())
    }

    /// Ticks to `now`, then checks the phase is one of `allowed`.
    fn advance(
        &mut self,
        now: Timestamp,
        action: &'static str,
        allowed: &[Phase],
        expected: &'static str,
    ) -> Result<(), DrillError> {
        let phase = self.tick(now)?;
        if allowed.contains(&phase) { Ok(()) } else { Err(DrillError::WrongPhase { action, phase, expected }) }
    }
}
