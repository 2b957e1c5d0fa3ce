//! The operator's errors, one enum, with a short label per variant for the failure metric.
//!
//! Only failures are errors: a reconcile that has to wait for something (FaultInjections to
//! revert before a Drill may go) returns `Ok(Action::requeue(..))`, so the failure metric
//! counts what went wrong, not what takes time.

use firedrill_drill as engine;
use kube::runtime::finalizer;

/// Why a reconcile failed. Every variant is retried by the controllers' `error_policy`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    #[error("finalizer: {0}")]
    Finalizer(#[source] Box<finalizer::Error<Error>>),
    #[error("admin token secret {namespace}/{name}: {reason}; create it with key `token`")]
    Token { namespace: String, name: String, reason: String },
    #[error("delivering to {endpoint}: {reason}")]
    Delivery { endpoint: String, reason: String },
    #[error("drill truth secret {secret} has no key `{key}`; delete the Drill and create it again")]
    TruthMissing { secret: String, key: &'static str },
    #[error("drill truth secret {secret} does not parse: {source}")]
    TruthCorrupt {
        secret: String,
        #[source]
        source: serde_json::Error,
    },
    /// The engine refused a transition the operator asked for: a bug, or two operators at once.
    #[error("drill engine: {0}")]
    Drill(#[from] engine::DrillError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Label for `firedrill_operator_reconcile_failures_total{reason}`. Every reconcile runs
    /// inside kube's finalizer helper, so its apply and cleanup errors are labelled by what
    /// failed inside them, not all as `finalizer`.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Error::Kube(_) => "kube",
            Error::Finalizer(e) => match e.as_ref() {
                finalizer::Error::ApplyFailed(inner) | finalizer::Error::CleanupFailed(inner) => inner.metric_label(),
                _ => "finalizer",
            },
            Error::Token { .. } => "token",
            Error::Delivery { .. } => "delivery",
            Error::TruthMissing { .. } | Error::TruthCorrupt { .. } => "truth",
            Error::Drill(_) => "drill",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine_error() -> engine::DrillError {
        engine::DrillError::WrongPhase { action: "activate", phase: engine::Phase::Active, expected: "warming up" }
    }

    #[test]
    fn the_engine_error_is_kept_as_the_source() {
        let error = Error::from(engine_error());
        let source = std::error::Error::source(&error).expect("the engine error is the source");
        assert_eq!(source.to_string(), engine_error().to_string());
        assert_eq!(error.metric_label(), "drill");
    }

    #[test]
    fn errors_inside_the_finalizer_are_labelled_by_what_failed() {
        let apply = Error::Finalizer(Box::new(finalizer::Error::ApplyFailed(engine_error().into())));
        assert_eq!(apply.metric_label(), "drill");
        let delivery = Error::Delivery { endpoint: "10.0.0.1:9000".into(), reason: "refused".into() };
        let cleanup = Error::Finalizer(Box::new(finalizer::Error::CleanupFailed(delivery)));
        assert_eq!(cleanup.metric_label(), "delivery");
        let unnamed = Error::Finalizer(Box::new(finalizer::Error::UnnamedObject));
        assert_eq!(unnamed.metric_label(), "finalizer");
    }
}
