//! Bringing pods to the desired state: deliver (or renew) the fault set to every chosen pod,
//! and revert the pods that are no longer chosen. Calls run concurrently; each returns the
//! pod's new record, so one slow or broken pod never hides the others' results.

use firedrill_fault::FaultSet;
use futures::future::join_all;
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;

use super::select::{Candidate, admin_endpoint};
use super::status::now;
use crate::context::Context;
use crate::crd::{PodRecord, PodState};

/// PUTs `set` to every chosen pod; records keep their first injection time while the pod and
/// its endpoint stay the same (a renewal is not a new injection).
pub async fn inject(
    ctx: &Context,
    token: &str,
    set: &FaultSet,
    chosen: &[Candidate],
    previous: &[PodRecord],
) -> Vec<PodRecord> {
    join_all(chosen.iter().map(|c| inject_one(ctx, token, set, c, previous))).await
}

async fn inject_one(ctx: &Context, token: &str, set: &FaultSet, c: &Candidate, previous: &[PodRecord]) -> PodRecord {
    let prev = previous.iter().find(|r| r.name == c.name && r.uid == c.uid);
    let mut record = PodRecord {
        name: c.name.clone(),
        uid: c.uid.clone(),
        endpoint: c.endpoint.clone(),
        state: PodState::Pending,
        acknowledged_generation: None,
        injected_at: None,
        recovered_at: None,
        message: None,
    };
    let Some(endpoint) = &c.endpoint else {
        record.message = Some("waiting for the pod to run with an IP and a container port named `admin`".into());
        return record;
    };
    match ctx.agents.put(endpoint, token, set).await {
        Ok(_) => {
            ctx.metrics.delivery("put", "ok");
            let same = prev.filter(|p| p.state == PodState::Injected && p.endpoint == c.endpoint);
            record.state = PodState::Injected;
            record.acknowledged_generation = Some(set.generation);
            record.injected_at = Some(same.and_then(|p| p.injected_at.clone()).unwrap_or_else(now));
        }
        Err(e) => {
            ctx.metrics.delivery("put", e.label());
            record.state = PodState::Failed;
            record.message = Some(format!("PUT {endpoint}: {e}"));
        }
    }
    record
}

/// Reverts previously touched pods that are not chosen any more; pods that went away are
/// recorded as gone, not as failures.
pub async fn release(
    ctx: &Context,
    token: &str,
    previous: &[PodRecord],
    chosen: &[Candidate],
    pods: &[Pod],
) -> Vec<PodRecord> {
    let stale = previous.iter().filter(|r| !chosen.iter().any(|c| c.name == r.name && c.uid == r.uid));
    join_all(stale.map(|r| release_one(ctx, token, r, pods))).await
}

async fn release_one(ctx: &Context, token: &str, r: &PodRecord, pods: &[Pod]) -> PodRecord {
    let mut record = r.clone();
    if matches!(r.state, PodState::Gone | PodState::Recovered) {
        return record;
    }
    let live = pods.iter().find(|p| p.name_any() == r.name && p.uid().as_deref() == Some(r.uid.as_str()));
    let Some(endpoint) = live.and_then(admin_endpoint) else {
        record.state = PodState::Gone;
        record.message = Some("the pod went away".into());
        return record;
    };
    if r.state == PodState::Pending {
        record.state = PodState::Recovered;
        return record;
    }
    match revert(ctx, token, &endpoint).await {
        Ok(()) => {
            record.state = PodState::Recovered;
            record.recovered_at = Some(now());
            record.message = None;
        }
        Err(message) => record.message = Some(message),
    }
    record
}

/// DELETEs the faults at one endpoint; the error is a message for the pod's record.
pub async fn revert(ctx: &Context, token: &str, endpoint: &str) -> Result<(), String> {
    match ctx.agents.clear(endpoint, token).await {
        Ok(_) => {
            ctx.metrics.delivery("delete", "ok");
            Ok(())
        }
        Err(e) => {
            ctx.metrics.delivery("delete", e.label());
            Err(format!("DELETE {endpoint}: {e}"))
        }
    }
}
