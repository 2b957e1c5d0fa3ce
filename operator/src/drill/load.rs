//! The drill's traffic. While a drill warms up and runs, loadgen sends the scenario's load:
//! its endpoint mix, its base rate, then each step's rate from `atSeconds` after the faults
//! went active. When the drill ends, loadgen goes back to the rate and mix it was started with
//! (the chart's `loadgen.rate` and `loadgen.mix`). The load is set on every reconcile of a
//! running drill, so a restarted loadgen is steered again within seconds.

use std::time::Duration;

use firedrill_drill::{Drill, Phase, Timestamp};

use crate::context::Context;
use crate::injection::agent::LoadRequest;

/// What loadgen should send: requests per second and endpoint weights in its format.
#[derive(Debug, Clone, PartialEq)]
pub struct Load {
    pub rps: f64,
    pub mix: String,
}

/// The load the drill wants now; `None` once it has ended (loadgen's own settings apply).
pub fn wanted(drill: &Drill, now: Timestamp) -> Option<Load> {
    let load = &drill.scenario().load;
    let rps = match drill.phase() {
        Phase::Pending | Phase::WarmUp => load.rate_rps,
        Phase::Active => load.rate_at(drill.elapsed(now).as_secs_f64()),
        Phase::Solved | Phase::Expired | Phase::Reverted | Phase::Debriefed => return None,
    };
    Some(Load { rps, mix: load.mix.loadgen_weights() })
}

/// Whether a drill in `phase` owns the lab's traffic (and must hand it back when it ends).
pub fn steers(phase: Phase) -> bool {
    matches!(phase, Phase::Pending | Phase::WarmUp | Phase::Active)
}

/// Time until the running drill's next load step, so the reconcile comes back for it.
pub fn next_step(drill: &Drill, now: Timestamp) -> Option<Duration> {
    if drill.phase() != Phase::Active {
        return None;
    }
    let wait = drill.scenario().load.next_step_in(drill.elapsed(now).as_secs_f64())?;
    // A little late rather than early: the step must have been reached when we look again.
    Some(Duration::from_secs_f64(wait) + Duration::from_millis(50))
}

/// Sets `load` on loadgen, or resets loadgen to its own settings for `None`. A failure is
/// logged and counted, never fatal: the drill's faults matter more than its load.
pub async fn steer(ctx: &Context, load: Option<Load>) {
    let Some(url) = &ctx.config.loadgen_url else { return };
    let result = match &load {
        Some(Load { rps, mix }) => ctx.loadgen.set(url, &LoadRequest { rps: *rps, mix: Some(mix.clone()) }).await,
        None => ctx.loadgen.reset(url).await,
    };
    match result {
        Ok(_) => ctx.metrics.delivery("set-load", "ok"),
        Err(e) => {
            ctx.metrics.delivery("set-load", e.label());
            tracing::warn!(%url, ?load, error = %e, "setting the drill's load failed");
        }
    }
}
