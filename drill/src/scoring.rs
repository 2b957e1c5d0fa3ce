//! Points for one contestant in one drill. docs/scoring.md explains the formula with examples.
//!
//! The formula rewards what a good on-call does: find the right cause fast, without guessing
//! and without leaning on hints. It is a pure function of the counts below so it can be tested
//! property by property and recomputed from a debrief.

use crate::scenario::Difficulty;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Points for a correct answer at t = 0, before the difficulty multiplier.
pub const BASE_POINTS: f64 = 1000.0;
/// Share of the speed factor lost by answering at the very end of the time limit.
pub const SLOWEST_LOSS: f64 = 0.5;
/// Share of the base earned by a best-effort partial answer (right service, wrong class).
pub const PARTIAL_CREDIT: f64 = 0.25;
/// Share of the base each wrong diagnosis costs.
pub const WRONG_PENALTY: f64 = 0.10;
/// Share of the base each partial diagnosis costs when it was not the one credited.
pub const PARTIAL_PENALTY: f64 = 0.05;

/// What a contestant did in a drill, as far as scoring cares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempts {
    pub difficulty: Difficulty,
    pub time_limit: Duration,
    /// Time from injection to the first correct diagnosis.
    pub correct_after: Option<Duration>,
    /// Time from injection to the first partial diagnosis.
    pub first_partial_after: Option<Duration>,
    pub wrong: u32,
    pub partial: u32,
    /// Sum of the costs of the hints this contestant unlocked.
    pub hint_cost: u32,
}

/// The difficulty multiplier.
pub fn multiplier(d: Difficulty) -> f64 {
    match d {
        Difficulty::Easy => 1.0,
        Difficulty::Medium => 1.5,
        Difficulty::Hard => 2.0,
    }
}

/// 1.0 at injection, falling linearly to `1 - SLOWEST_LOSS` at the time limit.
pub fn speed(after: Duration, limit: Duration) -> f64 {
    let share = if limit.is_zero() { 1.0 } else { (after.as_secs_f64() / limit.as_secs_f64()).min(1.0) };
    1.0 - SLOWEST_LOSS * share
}

/// The score: never negative, rounded to whole points.
pub fn score(a: &Attempts) -> u32 {
    let base = BASE_POINTS * multiplier(a.difficulty);
    let (earned, uncredited_partials) = match (a.correct_after, a.first_partial_after) {
        (Some(t), _) => (base * speed(t, a.time_limit), a.partial),
        (None, Some(t)) => (PARTIAL_CREDIT * base * speed(t, a.time_limit), a.partial.saturating_sub(1)),
        (None, None) => (0.0, a.partial),
    };
    let penalties = base * (WRONG_PENALTY * f64::from(a.wrong) + PARTIAL_PENALTY * f64::from(uncredited_partials))
        + f64::from(a.hint_cost);
    (earned - penalties).max(0.0).round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solved_at(secs: u64) -> Attempts {
        Attempts {
            difficulty: Difficulty::Medium,
            time_limit: Duration::from_secs(900),
            correct_after: Some(Duration::from_secs(secs)),
            first_partial_after: None,
            wrong: 0,
            partial: 0,
            hint_cost: 0,
        }
    }

    #[test]
    fn worked_examples_from_the_docs() {
        assert_eq!(score(&solved_at(0)), 1500);
        assert_eq!(score(&solved_at(300)), 1250);
        let messy = Attempts { wrong: 2, partial: 1, hint_cost: 50, ..solved_at(300) };
        assert_eq!(score(&messy), 825);
        let partial_only = Attempts {
            correct_after: None,
            first_partial_after: Some(Duration::from_secs(450)),
            partial: 1,
            ..solved_at(0)
        };
        assert_eq!(score(&partial_only), 281);
    }

    #[test]
    fn faster_scores_more() {
        let mut last = u32::MAX;
        for secs in [0, 60, 300, 600, 899] {
            let s = score(&solved_at(secs));
            assert!(s < last, "{secs}s scored {s}, not less than {last}");
            last = s;
        }
    }

    #[test]
    fn hints_wrong_and_partial_attempts_cost() {
        let clean = score(&solved_at(120));
        assert!(score(&Attempts { hint_cost: 100, ..solved_at(120) }) == clean - 100);
        assert!(score(&Attempts { wrong: 1, ..solved_at(120) }) < clean);
        assert!(score(&Attempts { partial: 1, ..solved_at(120) }) < clean);
        let wrong = score(&Attempts { wrong: 1, ..solved_at(120) });
        let partial = score(&Attempts { partial: 1, ..solved_at(120) });
        assert!(partial > wrong, "a partial guess costs less than a wrong one");
    }

    #[test]
    fn harder_pays_more_and_correct_beats_partial() {
        let easy = Attempts { difficulty: Difficulty::Easy, ..solved_at(100) };
        let hard = Attempts { difficulty: Difficulty::Hard, ..solved_at(100) };
        assert!(score(&hard) > score(&solved_at(100)) && score(&solved_at(100)) > score(&easy));
        let partial = Attempts {
            correct_after: None,
            first_partial_after: Some(Duration::from_secs(10)),
            partial: 1,
            ..solved_at(0)
        };
        assert!(score(&partial) > 0 && score(&partial) < score(&solved_at(899)));
    }

    #[test]
    fn never_negative() {
        let awful = Attempts { wrong: 50, partial: 50, hint_cost: 10_000, ..solved_at(899) };
        assert_eq!(score(&awful), 0);
        let nothing = Attempts { correct_after: None, ..solved_at(0) };
        assert_eq!(score(&nothing), 0);
        let late = Attempts { correct_after: Some(Duration::from_secs(5000)), ..solved_at(0) };
        assert_eq!(score(&late), 750, "past the limit the speed factor stops falling");
    }
}
