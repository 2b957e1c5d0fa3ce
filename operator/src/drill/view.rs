//! The player-safe Drill status, built from the engine's `status(now)` (which has no culprit
//! and no seed by construction) and the judged Diagnoses.

use std::time::Duration;

use firedrill_drill::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{Api, ResourceExt};

use super::truth::Truth;
use crate::context::Context;
use crate::crd::{Drill, DrillStatus, JudgedDiagnosis, Standing, apply_status};
use crate::error::Result;

pub fn time(ms: u64) -> Time {
    Time(k8s_openapi::jiff::Timestamp::from_millisecond(ms as i64).unwrap_or_default())
}

/// `12m30s`, to the second.
fn human(ms: u64) -> String {
    humantime::format_duration(Duration::from_secs(ms / 1000)).to_string().replace(' ', "")
}

/// The status players see at `now`.
pub fn status(drill: &Drill, truth: &Truth, now: Timestamp, conditions: Vec<Condition>) -> DrillStatus {
    let engine = &truth.drill;
    let view = engine.status(now);
    let running = engine.injected_at().is_some() && engine.ending().is_none();
    let mut diagnoses: Vec<JudgedDiagnosis> = truth
        .judged
        .iter()
        .map(|(name, j)| JudgedDiagnosis {
            name: name.clone(),
            player: j.player.clone(),
            team: j.team.clone(),
            service: j.service.clone(),
            fault_class: j.fault_class,
            verdict: j.verdict,
            at: time(j.at_ms),
        })
        .collect();
    diagnoses.sort_by_key(|d| d.at.0);
    let leaderboard = engine
        .results()
        .into_iter()
        .map(|r| Standing { contestant: r.contestant, score: r.score, best_verdict: r.best_verdict })
        .collect();
    DrillStatus {
        phase: Some(view.phase.into()),
        title: Some(view.incident),
        briefing: Some(view.briefing),
        created_at: drill.metadata.creation_timestamp.clone(),
        active_at: engine.injected_at().map(|t| time(t.as_millis())),
        ends_at: engine.deadline().map(|t| time(t.as_millis())),
        finished_at: engine.ending().map(|(_, t)| time(t.as_millis())),
        elapsed: engine.injected_at().map(|_| human(view.elapsed_ms)),
        remaining: running.then(|| human(view.remaining_ms)),
        diagnoses,
        leaderboard,
        winner: view.winner,
        conditions,
    }
}

/// Writes the status with server-side apply.
pub async fn write(ctx: &Context, drill: &Drill, status: &DrillStatus) -> Result<()> {
    let api: Api<Drill> = Api::namespaced(ctx.client.clone(), &drill.namespace().unwrap_or_default());
    Ok(apply_status(&api, &drill.name_any(), status).await?)
}
