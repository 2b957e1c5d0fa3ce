//! The chaos agent: the active fault set of this service, its lease, and where faults bite.
//!
//! The agent holds one immutable [`Active`] snapshot behind an `ArcSwap`; the request path only
//! loads it (a pointer read and a clock read), so a service without faults pays next to nothing.
//! A `PUT` swaps in a whole new snapshot at once, so a request never sees half a fault set.

pub(crate) mod active;
pub mod admin;
mod agent;
pub mod background;
pub mod server;

pub use active::{Active, ClientOverrides, ServerAction};
pub use agent::{ChaosAgent, ChaosMetrics, PutError};
