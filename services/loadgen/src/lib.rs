//! loadgen: open-loop traffic against the edge API.
//!
//! Arrivals are a Poisson process at the target rate, and latency is measured from each
//! request's *scheduled* start, so a slow system cannot slow the load down and hide its own
//! latency (coordinated omission). In-flight requests are bounded; arrivals beyond the bound
//! are dropped and counted, never queued.

mod control;
mod mix;
mod traffic;

pub use control::router;
pub use firedrill_control::load::MAX_RPS;
pub use mix::{Endpoint, Mix, MixError, ProductIds};
pub use traffic::{Generator, LoadMetrics, Settings};
