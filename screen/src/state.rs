//! What the page shows, on the wire (`GET /api/state`): built from the engine's player-safe
//! view of a drill, with the debrief only once the drill's faults are reverted.
//!
//! The safety is structural, not a filter: [`Round::of`] takes the engine's [`Drill`] and
//! reads `status(now)` and `results()` (neither has a path to the draw); the truth-bearing
//! [`Debrief`] is built only when the phase is `reverted` or later. Nothing else of the drill
//! reaches [`ScreenState`], so a field added to the truth cannot leak through the screen.

use firedrill_drill::drill::ContestantResult;
use firedrill_drill::leaderboard::Standing;
use firedrill_drill::{Debrief, Drill, DrillStatus, Leaderboard, Phase, Timestamp};
use serde::Serialize;

use crate::links::QueryLink;
use crate::timeline::{Plot, Timeline};

/// The page's state, as `/api/state` sends it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScreenState {
    /// Wall-clock milliseconds (UNIX epoch) when this state was built: the page's clock ticks
    /// on from here between polls.
    pub server_time_ms: u64,
    /// The running (or last) drill as players see it; `None` when the lab is idle.
    pub drill: Option<DrillStatus>,
    /// This drill's players and teams, best score first.
    pub results: Vec<ContestantResult>,
    /// Standings across every drill played on this host.
    pub standings: Vec<Standing>,
    /// Only once the faults are reverted: the truth, the timeline plot, the queries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debrief: Option<DebriefView>,
}

/// The debrief as the page shows it: the engine's debrief, its isolating queries as links
/// into the backends' own UIs, and the timeline plot.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DebriefView {
    #[serde(flatten)]
    pub debrief: Debrief,
    pub query_links: Vec<QueryLink>,
    pub plot: Option<Plot>,
}

/// One moment of a host's drill, taken under the host's lock: the player-safe state, and
/// (after the revert) the plot's window, fetched by the [`Screen`](crate::Screen) afterwards
/// without holding the lock.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    pub(crate) state: ScreenState,
    pub(crate) timeline: Option<Timeline>,
}

// === impl Round ===

impl Round {
    /// No drill has run yet.
    pub fn idle(now: Timestamp) -> Round {
        let state = ScreenState {
            server_time_ms: now.as_millis(),
            drill: None,
            results: vec![],
            standings: vec![],
            debrief: None,
        };
        Round { state, timeline: None }
    }

    /// `drill` at `now`: what players may see, and the debrief once its faults are reverted.
    pub fn of(drill: &Drill, now: Timestamp) -> Round {
        let reverted = matches!(drill.phase(), Phase::Reverted | Phase::Debriefed);
        let debrief = reverted.then(|| Debrief::of(drill));
        let timeline = debrief.as_ref().and_then(|d| Timeline::of(drill, d));
        let state = ScreenState {
            server_time_ms: now.as_millis(),
            drill: Some(drill.status(now)),
            results: drill.results(),
            standings: vec![],
            debrief: debrief.map(|debrief| DebriefView { debrief, query_links: vec![], plot: None }),
        };
        Round { state, timeline }
    }

    /// The same round with the host's standings across drills.
    pub fn with_standings(mut self, board: &Leaderboard) -> Round {
        self.state.standings = board.standings().into_iter().cloned().collect();
        self
    }

    /// The state without links or plot (what [`Screen`](crate::Screen) completes).
    pub fn state(&self) -> &ScreenState {
        &self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{INCIDENT, active_drill, secrets, t};
    use firedrill_drill::{FaultClass, Submission};

    fn diagnose(drill: &mut Drill, at: u64, service: &str, class: FaultClass) {
        let s =
            Submission { player: "ada".into(), team: None, service: service.into(), fault_class: class, note: None };
        drill.diagnose(t(at), s).unwrap();
    }

    /// The drawn culprit's answer, as a player would give it.
    fn solve(drill: &mut Drill, at: u64) {
        let answer = drill.draw().culprit.answer.clone();
        diagnose(drill, at, &answer.service, answer.fault_class);
    }

    #[test]
    fn before_the_revert_the_state_holds_nothing_of_the_truth() {
        let mut drill = active_drill();
        while drill.unlock_hint(t(580), "ada").is_ok() {}
        diagnose(&mut drill, 590, "warehouse", FaultClass::Latency);
        let secrets = secrets(&drill);
        for at in [590, 591] {
            if at == 591 {
                // Solved, faults still in: the debrief must still wait for the revert.
                solve(&mut drill, at);
                assert_eq!(drill.phase(), Phase::Solved);
            }
            let json = serde_json::to_string(Round::of(&drill, t(at)).state()).unwrap();
            assert!(json.contains(INCIDENT), "{json}");
            for secret in &secrets {
                assert!(!json.contains(secret.as_str()), "the screen leaks `{secret}` before the revert: {json}");
            }
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            for key in ["debrief", "culprit", "answer", "story", "seed", "scenario", "title", "faults"] {
                assert!(value.get(key).is_none() && value["drill"].get(key).is_none(), "`{key}` in {json}");
            }
        }
    }

    #[test]
    fn after_the_revert_the_debrief_tells_the_truth() {
        let mut drill = active_drill();
        diagnose(&mut drill, 30, "warehouse", FaultClass::Latency);
        drill.stop(t(40)).unwrap();
        drill.revert(t(42)).unwrap();
        let round = Round::of(&drill, t(43));
        let value = serde_json::to_value(round.state()).unwrap();
        let debrief = &value["debrief"];
        assert_eq!(debrief["culprit"], drill.draw().culprit.id.as_str(), "{value}");
        assert_eq!(debrief["scenario"], drill.scenario().name.as_str());
        assert_eq!(debrief["story"], drill.draw().culprit.story.as_str());
        assert_eq!(value["drill"]["phase"], "reverted");
        assert_eq!(value["results"][0]["contestant"], "ada");
        assert!(round.timeline.is_some(), "a reverted drill has a plot window");
    }

    #[test]
    fn an_idle_screen_has_only_the_standings() {
        let mut drill = active_drill();
        solve(&mut drill, 30);
        drill.revert(t(31)).unwrap();
        let mut board = Leaderboard::default();
        board.record(&drill.debrief(t(32)).unwrap());
        let round = Round::idle(t(40)).with_standings(&board);
        let value = serde_json::to_value(round.state()).unwrap();
        assert_eq!(value["drill"], serde_json::Value::Null);
        assert_eq!(value["standings"][0]["name"], "ada", "{value}");
        assert_eq!(value["serverTimeMs"], t(40).as_millis());
    }
}
