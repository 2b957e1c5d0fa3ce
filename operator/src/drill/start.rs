//! Starting a drill: find and parse the Scenario, draw a culprit with a fresh or replayed
//! seed, and store the engine's record as the drill's truth. A drill that cannot start says
//! why in a condition; nothing is injected.

use std::collections::BTreeSet;
use std::time::Duration;

use firedrill_drill::{self as engine, Draw, Mode, Timestamp};
use k8s_openapi::api::core::v1::Secret;
use kube::runtime::controller::Action;
use kube::{Api, ResourceExt};

use super::truth::{self, Truth};
use super::view;
use crate::context::Context;
use crate::crd::{Drill, DrillMode, DrillStatus, Refusable, Scenario};
use crate::error::Result;
use crate::injection::status_condition;

/// Why a drill did not start: condition reason and message.
pub struct Refusal(pub &'static str, pub String);

/// Draws and stores the truth; `Err(Refusal)` when the spec cannot be played.
pub async fn start(ctx: &Context, drill: &Drill, now: Timestamp) -> Result<Result<(Truth, String), Refusal>> {
    let mut scenario = match scenario(ctx, &drill.spec.scenario).await? {
        Ok(s) => s,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if let Some(limit) = drill.spec.time_limit_seconds {
        scenario.time_limit_seconds = limit;
    }
    let seed = match seed(ctx, drill).await? {
        Ok(seed) => seed,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let draw = Draw::new(&scenario, seed);
    let mode = match drill.spec.mode {
        DrillMode::FirstCorrectWins => Mode::FirstCorrectWins,
        DrillMode::AllTeamsPlay => {
            Mode::AllTeamsPlay { teams: drill.spec.teams.iter().cloned().collect::<BTreeSet<_>>() }
        }
    };
    let id = format!("{}/{}", drill.namespace().unwrap_or_default(), drill.name_any());
    let warm_up = drill.spec.warm_up_seconds.map_or(engine::driver::DEFAULT_WARM_UP, |s| Duration::from_secs(s.into()));
    let mut played = match engine::Drill::new(id, scenario, draw, mode, now) {
        Ok(played) => played.with_warm_up(warm_up),
        Err(e) => return Ok(Err(Refusal("InvalidDrill", e.to_string()))),
    };
    played.start_warm_up(now).expect("a new drill is pending");
    let truth = Truth { drill: played, judged: Default::default(), hints: Default::default() };
    match truth::create(ctx, drill, &truth).await? {
        Some(version) => Ok(Ok((truth, version))),
        // Another operator instance started it first: play its draw, not ours.
        None => Ok(truth::load(ctx, drill).await?.ok_or_else(|| Refusal("Conflict", "truth vanished".into()))),
    }
}

async fn scenario(ctx: &Context, name: &str) -> Result<Result<engine::Scenario, Refusal>> {
    let api: Api<Scenario> = Api::namespaced(ctx.client.clone(), &ctx.config.control_namespace);
    let Some(found) = api.get_opt(name).await? else {
        return Ok(Err(Refusal("ScenarioNotFound", format!("no scenario `{name}` is installed; ask the lab admin"))));
    };
    Ok(engine::Scenario::from_yaml(&found.spec.file, &found.spec.source)
        .map_err(|e| Refusal("ScenarioInvalid", format!("scenario `{name}` does not parse: {e}"))))
}

async fn seed(ctx: &Context, drill: &Drill) -> Result<Result<u64, Refusal>> {
    let Some(name) = &drill.spec.seed_secret else { return Ok(Ok(fastrand::u64(..))) };
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &ctx.config.control_namespace);
    let value = api.get_opt(name).await?.and_then(|s| s.data).and_then(|d| d.get("seed").cloned());
    let parsed = value.and_then(|v| String::from_utf8(v.0).ok()).and_then(|s| s.trim().parse().ok());
    Ok(parsed.ok_or_else(|| Refusal("SeedNotFound", format!("secret `{name}` has no numeric `seed` key"))))
}

/// Reports the refusal in status; retried slowly in case the scenario gets installed.
pub async fn refuse(ctx: &Context, drill: &Drill, Refusal(reason, message): Refusal) -> Result<Action> {
    let previous = drill.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    let condition = status_condition(&previous, "Ready", false, reason, message, drill.metadata.generation);
    let status = DrillStatus { phase: Some(Refusable::Refused), conditions: vec![condition], ..Default::default() };
    view::write(ctx, drill, &status).await?;
    Ok(Action::requeue(Duration::from_secs(30)))
}
