//! firedrill-control: what crosses the lab's control sockets, typed once for both ends.
//!
//! - [`admin`]: the chaos agent's admin API (`PUT|GET|DELETE /chaos/faults`): the reply every
//!   service sends, and [`AdminClient`], which the CLI's local lab and the operator deliver with.
//! - [`load`]: loadgen's control API (`GET|PUT|DELETE /rate`) and [`LoadgenClient`].
//! - [`client`]: the JSON-over-HTTP/1 client both are built on: pooled, every call bounded by
//!   a timeout, failures typed ([`ClientError`], with a short `label()` for metrics).
//!
//! The servers (the runtime's admin API, loadgen) depend on this crate for the types only, so
//! the CLI and the operator can import the clients without pulling a service binary in.

pub mod admin;
pub mod client;
pub mod load;

pub use admin::{AdminClient, FaultsReply};
pub use client::{Client, ClientError, ErrorReply, error_chain};
pub use load::{LoadReply, LoadRequest, LoadgenClient};
