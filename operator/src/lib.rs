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

pub use context::{Config, Context};
pub use error::{Error, Result};

/// Label a namespace must carry before the operator touches anything in it.
pub const LAB_LABEL: &str = "firedrill.dev/lab";
/// Label a pod must carry before the operator delivers faults to it.
pub const INJECTABLE_LABEL: &str = "firedrill.dev/injectable";
/// The server-side-apply field manager for everything the operator writes.
pub const FIELD_MANAGER: &str = "firedrill-operator";

/// Runs every controller until `shutdown` resolves.
pub async fn run(ctx: std::sync::Arc<Context>, shutdown: impl std::future::Future<Output = ()> + Send + 'static) {
    use futures::FutureExt;
    let shutdown = shutdown.shared();
    tokio::join!(
        injection::run(ctx.clone(), shutdown.clone()),
        drill::run(ctx.clone(), shutdown.clone()),
        catalog::run(ctx, shutdown)
    );
}
