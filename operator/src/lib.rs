//! The firedrill operator: runs drills on a cluster with kubectl alone.
//!
//! Shaped like kube-rs's controller-rs: one controller per resource, each a `reconcile(Arc<K>,
//! Arc<Context>) -> Result<Action>` with an `error_policy`, the `finalizer` helper for reverts,
//! status written by server-side apply under one field manager, events through a `Recorder`,
//! and Prometheus metrics. [`crd`] holds the resource types, [`injection`] delivers fault
//! documents to the pods' chaos agents, [`drill`] plays rounds with the drill engine.

pub mod catalog;
pub mod context;
pub mod crd;
pub mod drill;
pub mod endpoint;
pub mod error;
pub mod injection;
pub mod metrics;
pub mod screen;

use std::future::Future;
use std::time::Duration;

use kube::runtime::reflector::Store;

pub use context::{Config, Context};
pub use error::{Error, Result};

/// Label a namespace must carry before the operator touches anything in it.
pub const LAB_LABEL: &str = "firedrill.dev/lab";
/// Label a pod must carry before the operator delivers faults to it.
pub const INJECTABLE_LABEL: &str = "firedrill.dev/injectable";
/// The server-side-apply field manager for everything the operator writes.
pub const FIELD_MANAGER: &str = "firedrill-operator";

/// How long a stopping controller keeps its watch open for a first list still in flight.
const FIRST_LIST_GRACE: Duration = Duration::from_secs(5);
/// How long the controllers may take to finish after `shutdown` before they are dropped
/// (reconciles still running are cancelled; every delivery call is bounded well below this).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Runs every controller until `shutdown` resolves, then lets reconciles in flight finish for
/// at most [`SHUTDOWN_GRACE`].
pub async fn run(ctx: std::sync::Arc<Context>, shutdown: impl Future<Output = ()> + Send + 'static) {
    use futures::FutureExt;
    let shutdown = shutdown.shared();
    let controllers = futures::future::join3(
        injection::run(ctx.clone(), shutdown.clone()),
        drill::run(ctx.clone(), shutdown.clone()),
        catalog::run(ctx, shutdown.clone()),
    );
    let overdue = async move {
        shutdown.await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        _ = controllers => {}
        () = overdue => tracing::warn!("the controllers had not finished {SHUTDOWN_GRACE:?} after shutdown; stopping anyway"),
    }
}

/// One controller's graceful-shutdown trigger: `shutdown`, then its store's first list (for at
/// most [`FIRST_LIST_GRACE`]). kube-runtime's runner cannot end before its store is ready, and
/// it stops feeding the store once the trigger fires: a trigger that fired before the first
/// list had completed would leave the controller waiting forever.
async fn graceful_shutdown<K>(shutdown: impl Future<Output = ()> + Send + Sync + 'static, store: Store<K>)
where
    K: kube::Resource + Clone + Send + Sync + 'static,
    K::DynamicType: Eq + std::hash::Hash + Clone + Default + Send + Sync,
{
    shutdown.await;
    if tokio::time::timeout(FIRST_LIST_GRACE, store.wait_until_ready()).await.is_err() {
        tracing::warn!("stopping before the first list of {} finished", K::kind(&Default::default()));
    }
}
