//! The drill's traffic. While a drill warms up and runs, loadgen sends the scenario's load:
//! its base rate, then each step's rate from `atSeconds` after the faults went active. When
//! the drill ends, loadgen goes back to the lab's idle rate. The rate is set on every
//! reconcile of a running drill, so a restarted loadgen (back at its `--rate`) is steered
//! again within seconds.

use std::time::Duration;

use firedrill_drill::{Drill, Phase, Timestamp};

use crate::context::Context;

/// The rate the drill wants now; `None` once it has ended (the idle rate applies).
pub fn wanted(drill: &Drill, now: Timestamp) -> Option<f64> {
    let load = &drill.scenario().load;
    match drill.phase() {
        Phase::Pending | Phase::WarmUp => Some(load.rate_rps),
        Phase::Active => Some(load.rate_at(drill.elapsed(now).as_secs_f64())),
        Phase::Solved | Phase::Expired | Phase::Reverted | Phase::Debriefed => None,
    }
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

/// Sets `rps` (the idle rate for `None`) on loadgen. A failure is logged and counted, never
/// fatal: the drill's faults matter more than its load.
pub async fn steer(ctx: &Context, rps: Option<f64>) {
    let Some(control) = &ctx.config.load else { return };
    let rps = rps.unwrap_or(control.idle_rps);
    match ctx.agents.set_rate(&control.url, rps).await {
        Ok(()) => ctx.metrics.delivery("set-rate", "ok"),
        Err(e) => {
            ctx.metrics.delivery("set-rate", e.label());
            tracing::warn!(url = %control.url, rps, error = %e, "setting the drill's load failed");
        }
    }
}
