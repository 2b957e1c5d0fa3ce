//! The operator's errors, one enum, with a short label per variant for the failure metric.

/// Why a reconcile failed. Every variant is retried by the controllers' `error_policy`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    #[error("finalizer: {0}")]
    Finalizer(#[source] Box<kube::runtime::finalizer::Error<Error>>),
    #[error("admin token secret {namespace}/{name}: {reason}; create it with key `token`")]
    Token { namespace: String, name: String, reason: String },
    #[error("delivering to {endpoint}: {reason}")]
    Delivery { endpoint: String, reason: String },
    #[error("drill truth secret {0}: {1}")]
    Truth(String, String),
    #[error("{0}")]
    Drill(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Label for `firedrill_operator_reconcile_failures_total{reason}`.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Error::Kube(_) => "kube",
            Error::Finalizer(_) => "finalizer",
            Error::Token { .. } => "token",
            Error::Delivery { .. } => "delivery",
            Error::Truth(..) => "truth",
            Error::Drill(_) => "drill",
        }
    }
}
