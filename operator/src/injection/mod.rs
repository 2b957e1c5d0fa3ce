//! The FaultInjection controller: the core of the operator.
//!
//! Watches FaultInjections in the control namespace and injectable pods everywhere (a pod that
//! starts, restarts or gets a new IP wakes the injections that select it). The finalizer
//! reverts every touched pod before the object goes away; if the operator is down, the
//! agents' leases still run out.

pub mod agent;
mod deliver;
pub mod generation;
pub mod reconcile;
pub mod select;
mod status;

pub use status::condition as status_condition;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::EventType;
use kube::runtime::finalizer::{Event as Finalizer, finalizer};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Api, ResourceExt};

use crate::context::Context;
use crate::crd::{FaultInjection, PodState};
use crate::error::{Error, Result};
use crate::{FIELD_MANAGER, INJECTABLE_LABEL};

/// The finalizer that guarantees a revert.
pub const FINALIZER: &str = "firedrill.dev/revert";
const CONTROLLER: &str = "faultinjection";

/// Reconciles one FaultInjection (entry point for the controller and for tests).
pub async fn reconcile(fi: Arc<FaultInjection>, ctx: Arc<Context>) -> Result<Action> {
    let _timer = ctx.metrics.reconcile(CONTROLLER);
    let api: Api<FaultInjection> = Api::namespaced(ctx.client.clone(), &fi.namespace().unwrap_or_default());
    finalizer(&api, FINALIZER, fi, |event| async {
        match event {
            Finalizer::Apply(fi) => reconcile::apply(fi, &ctx).await,
            Finalizer::Cleanup(fi) => cleanup(fi, &ctx).await,
        }
    })
    .await
    .map_err(|e| Error::Finalizer(Box::new(e)))
}

/// Reverts every touched pod. A pod that stays unreachable holds the finalizer for one lease
/// at most: after that its agent has dropped the faults by itself.
async fn cleanup(fi: Arc<FaultInjection>, ctx: &Context) -> Result<Action> {
    ctx.first_seen.lock().expect("first_seen lock").remove(&fi.uid().unwrap_or_default());
    let records = reconcile::revert_records(&fi, ctx).await;
    let stuck: Vec<&str> = records
        .iter()
        .filter(|r| matches!(r.state, PodState::Injected | PodState::Failed))
        .map(|r| r.name.as_str())
        .collect();
    let since = fi.metadata.deletion_timestamp.as_ref().map(|t| status::seconds_between(t, &status::now()));
    let lease_over = since.unwrap_or_default() > f64::from(fi.spec.lease_seconds);
    if !stuck.is_empty() && !lease_over {
        return Err(Error::Delivery {
            endpoint: stuck.join(","),
            reason: "revert failed; retrying until the lease ends".into(),
        });
    }
    if !stuck.is_empty() {
        let note = format!("could not reach {}; their leases have run out", stuck.join(", "));
        reconcile::publish(&fi, ctx, EventType::Warning, "RevertUnconfirmed", note).await;
    }
    if let Some(s) = since {
        ctx.metrics.revert_latency.observe(s);
    }
    Ok(Action::await_change())
}

/// Retries with a short back-off; every failure is counted by reason.
pub fn error_policy(fi: Arc<FaultInjection>, error: &Error, ctx: Arc<Context>) -> Action {
    tracing::warn!(name = %fi.name_any(), %error, "reconcile failed");
    ctx.metrics.failure(CONTROLLER, error.metric_label());
    Action::requeue(Duration::from_secs(2))
}

/// Runs the controller until `shutdown` resolves.
pub async fn run(ctx: Arc<Context>, shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static) {
    let injections = Api::<FaultInjection>::namespaced(ctx.client.clone(), &ctx.config.control_namespace);
    let pods = Api::<Pod>::all(ctx.client.clone());
    let controller = Controller::new(injections, watcher::Config::default());
    let store = controller.store();
    let ready = store.clone();
    let pod_config = watcher::Config::default().labels(&format!("{INJECTABLE_LABEL}=true"));
    controller
        .watches(pods, pod_config, move |pod| {
            store
                .state()
                .into_iter()
                .filter(|fi| select::matches(&fi.spec.selector, &pod))
                .map(|fi| ObjectRef::from(fi.as_ref()))
                .collect::<Vec<_>>()
        })
        .graceful_shutdown_on(crate::graceful_shutdown(shutdown, ready))
        .run(reconcile, error_policy, ctx)
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::debug!(error = %e, "{FIELD_MANAGER}: reconcile error");
            }
        })
        .await;
}
