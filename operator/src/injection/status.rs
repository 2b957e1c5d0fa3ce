//! Building and writing a FaultInjection's status: per-pod records, phase, conditions.
//! Written by server-side apply under the operator's field manager, so a status that did not
//! change is a no-op and does not wake the controller again.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{Api, Resource, ResourceExt};

use crate::crd::{FaultInjection, FaultInjectionStatus, InjectionPhase, PodRecord, PodState, apply_status};
use crate::error::Result;

pub fn now() -> Time {
    Time(k8s_openapi::jiff::Timestamp::now())
}

/// A condition; the transition time is kept when the status did not change.
pub fn condition(
    previous: &[Condition],
    type_: &str,
    ok: bool,
    reason: &str,
    message: String,
    observed: Option<i64>,
) -> Condition {
    let status = if ok { "True" } else { "False" }.to_string();
    let last_transition_time = previous
        .iter()
        .find(|c| c.type_ == type_ && c.status == status && c.reason == reason)
        .map(|c| c.last_transition_time.clone())
        .unwrap_or_else(now);
    Condition {
        type_: type_.into(),
        status,
        reason: reason.into(),
        message,
        observed_generation: observed,
        last_transition_time,
    }
}

/// The phase the records add up to.
pub fn phase_of(records: &[PodRecord], selected: usize) -> InjectionPhase {
    let injected = records.iter().filter(|r| r.state == PodState::Injected).count();
    if selected > 0 && injected == selected { InjectionPhase::Active } else { InjectionPhase::Injecting }
}

/// Status for a FaultInjection that touched nothing, with the reason.
pub fn refused(fi: &FaultInjection, records: Vec<PodRecord>, reason: &str, message: String) -> FaultInjectionStatus {
    let previous = fi.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default();
    let observed = fi.meta().generation;
    FaultInjectionStatus {
        phase: Some(InjectionPhase::Refused),
        observed_generation: observed,
        pods: records,
        conditions: vec![condition(previous, "Ready", false, reason, message, observed)],
        ..Default::default()
    }
}

/// Writes `status` with server-side apply.
pub async fn write(api: &Api<FaultInjection>, fi: &FaultInjection, status: &FaultInjectionStatus) -> Result<()> {
    Ok(apply_status(api, &fi.name_any(), status).await?)
}

/// Seconds from `from` to `to` (0 when negative).
pub fn seconds_between(from: &Time, to: &Time) -> f64 {
    let d = to.0.duration_since(from.0).as_secs_f64();
    d.max(0.0)
}
