//! firedrill-runtime: everything a firedrill service shares, so each service binary is a thin
//! shell around its handlers.
//!
//! - [`server`]: HTTP/1.1 server, probes, `/metrics`, graceful drain.
//! - [`client`]: pooled calls with timeouts, deadline, retries and budget.
//! - [`telemetry`]: OpenMetrics, OTLP traces with W3C context, JSON logs.
//! - [`chaos`]: the chaos agent, its server-side layer and its admin API.
//! - [`service`]: the wiring, and [`service::main`] for binaries.

pub mod chaos;
pub mod client;
pub mod config;
pub mod http;
pub mod server;
pub mod service;
pub mod shutdown;
pub mod telemetry;

pub use service::{Running, Service, ServiceConfig};
