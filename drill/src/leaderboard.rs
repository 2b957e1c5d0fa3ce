//! Standings across drills, per player or team.
//!
//! Built from debriefs (the record a drill leaves behind), so it can be rebuilt from stored
//! debriefs at any time; serializable so the caller can persist it between runs. A drill is
//! counted once, however often it is recorded.

use crate::debrief::Debrief;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Totals for one player or team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Standing {
    pub name: String,
    pub is_team: bool,
    pub total_score: u64,
    pub drills_played: u32,
    pub drills_solved: u32,
    /// Fastest time from injection to a correct answer, in milliseconds.
    pub best_time_ms: Option<u64>,
}

/// The leaderboard.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Leaderboard {
    drills: BTreeSet<String>,
    standings: BTreeMap<String, Standing>,
}

// === impl Leaderboard ===

impl Leaderboard {
    /// Adds a drill's results; false (and no change) if this drill id was recorded before.
    pub fn record(&mut self, debrief: &Debrief) -> bool {
        if !self.drills.insert(debrief.drill_id.clone()) {
            return false;
        }
        for r in &debrief.results {
            let s = self.standings.entry(r.contestant.clone()).or_insert_with(|| Standing {
                name: r.contestant.clone(),
                is_team: r.is_team,
                total_score: 0,
                drills_played: 0,
                drills_solved: 0,
                best_time_ms: None,
            });
            s.total_score += u64::from(r.score);
            s.drills_played += 1;
            if let Some(ms) = r.correct_after_ms {
                s.drills_solved += 1;
                s.best_time_ms = Some(s.best_time_ms.map_or(ms, |b| b.min(ms)));
            }
        }
        true
    }

    /// Highest total first; ties go to the faster best time, then by name.
    pub fn standings(&self) -> Vec<&Standing> {
        let mut all: Vec<&Standing> = self.standings.values().collect();
        all.sort_by(|a, b| {
            b.total_score
                .cmp(&a.total_score)
                .then(a.best_time_ms.unwrap_or(u64::MAX).cmp(&b.best_time_ms.unwrap_or(u64::MAX)))
                .then(a.name.cmp(&b.name))
        });
        all
    }

    /// The standings as a Markdown table.
    pub fn to_markdown(&self) -> String {
        let mut md = String::from("| # | name | score | solved/played | best time |\n|---|---|---|---|---|\n");
        for (i, s) in self.standings().iter().enumerate() {
            let best = s.best_time_ms.map_or("-".to_string(), |ms| format!("{:.1} s", ms as f64 / 1000.0));
            md.push_str(&format!(
                "| {} | {}{} | {} | {}/{} | {best} |\n",
                i + 1,
                s.name,
                if s.is_team { " (team)" } else { "" },
                s.total_score,
                s.drills_solved,
                s.drills_played
            ));
        }
        md
    }
}
