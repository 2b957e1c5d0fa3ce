//! The operator's clients for what it steers over HTTP, from `firedrill-control` so the CLI's
//! local lab speaks the same typed wire: [`AdminClient`] for the chaos agents' admin API
//! (`PUT /chaos/faults` to inject or renew, `DELETE` to revert) and [`LoadgenClient`] for
//! loadgen's `/rate`. Both bound every call by the operator's delivery timeout, so one hung
//! pod cannot stall a reconcile; their [`ClientError::label`] names the failure in the
//! delivery metric.

pub use firedrill_control::{AdminClient, ClientError, FaultsReply, LoadReply, LoadRequest, LoadgenClient};
