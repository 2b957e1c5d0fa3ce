//! The fault document's types. Field names are camelCase because the same JSON sits inside
//! Kubernetes objects; fault kinds are kebab-case words players also see in the debrief.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The whole set of faults one service carries. A `PUT` replaces the set atomically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultSet {
    /// Monotonic version chosen by the sender; a PUT with an older generation is refused, the
    /// same generation renews the lease.
    pub generation: u64,
    /// Seconds the set stays active unless renewed by another PUT (1..=3600).
    pub lease_seconds: u32,
    /// The faults; empty means "healthy".
    #[serde(default)]
    pub faults: Vec<Fault>,
}

/// One fault. `kind` selects the variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Fault {
    /// Server side: delay matching inbound requests.
    Latency(ServerLatency),
    /// Server side: never answer matching requests (until the caller gives up, capped).
    Hang(Hang),
    /// Server side: answer matching requests with an error status.
    Error(ServerError),
    /// Server side: burn CPU per matching request.
    Cpu(Cpu),
    /// Server side: retain memory per matching request, up to a cap.
    Memory(Memory),
    /// Client side: override the per-attempt timeout (and optionally the deadline) to a dependency.
    Timeout(Timeout),
    /// Client side: override the retry policy to a dependency (retry amplification).
    Retry(Retry),
    /// Client side: override the connection pool's concurrency limit (starvation).
    Pool(Pool),
    /// Client side: delay calls to a dependency before they leave (network latency on the edge).
    ClientLatency(ClientLatency),
    /// Telemetry: head sampling ratio for traces started in this service.
    Sampling(Sampling),
    /// Telemetry: drop the spans of calls to a dependency.
    DropSpans(DropSpans),
    /// Telemetry: stop sending trace context to a dependency, so traces split there.
    BreakPropagation(Propagation),
    /// Telemetry: hold log lines back before they are written or exported.
    LogDelay(LogDelay),
    /// Telemetry: drop a share of log lines.
    LogDrop(LogDrop),
    /// Background: a steady stream of alarming but irrelevant warnings in the service's log.
    LogNoise(LogNoise),
    /// Background: a share of one core burnt by a background job, not tied to requests.
    CpuBurn(CpuBurn),
}

/// The kind of a fault, without its parameters: used for metric labels and summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    Latency,
    Hang,
    Error,
    Cpu,
    Memory,
    Timeout,
    Retry,
    Pool,
    ClientLatency,
    Sampling,
    DropSpans,
    BreakPropagation,
    LogDelay,
    LogDrop,
    LogNoise,
    CpuBurn,
}

/// Which inbound requests a server-side fault applies to. Absent fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteMatch {
    /// Route template as the service names it, e.g. `/stock/{id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// HTTP method, e.g. `GET`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

fn hundred() -> f64 {
    100.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerLatency {
    #[serde(default, rename = "match")]
    pub matcher: RouteMatch,
    /// Share of matching requests affected, 0..=100 (default 100).
    #[serde(default = "hundred")]
    pub percent: f64,
    pub delay_ms: u64,
    /// Uniform jitter added on top of the delay, 0..=jitterMs.
    #[serde(default)]
    pub jitter_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Hang {
    #[serde(default, rename = "match")]
    pub matcher: RouteMatch,
    #[serde(default = "hundred")]
    pub percent: f64,
    /// The longest a request is held before the connection is closed without an answer.
    #[serde(default = "Hang::default_max_ms")]
    pub max_ms: u64,
}

impl Hang {
    fn default_max_ms() -> u64 {
        30_000
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerError {
    #[serde(default, rename = "match")]
    pub matcher: RouteMatch,
    #[serde(default = "hundred")]
    pub percent: f64,
    /// HTTP status to answer with, 400..=599.
    pub status: u16,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cpu {
    #[serde(default, rename = "match")]
    pub matcher: RouteMatch,
    #[serde(default = "hundred")]
    pub percent: f64,
    /// Milliseconds of CPU burnt on the request's thread.
    pub burn_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Memory {
    #[serde(default, rename = "match")]
    pub matcher: RouteMatch,
    #[serde(default = "hundred")]
    pub percent: f64,
    /// KiB retained per matching request.
    pub retain_kib: u64,
    /// Total retained memory never exceeds this many MiB; released when the fault goes.
    pub cap_mib: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Timeout {
    pub dependency: String,
    pub attempt_timeout_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Retry {
    pub dependency: String,
    /// Total attempts, the first included (1..=20).
    pub attempts: u32,
    /// Base backoff between attempts; full jitter is applied.
    #[serde(default)]
    pub backoff_ms: u64,
    /// Retry budget as a share of requests (0..=10, e.g. 0.2 = 20%); absent = unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_ratio: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pool {
    pub dependency: String,
    /// Concurrent calls allowed to the dependency (1..=10000).
    pub max_concurrency: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientLatency {
    pub dependency: String,
    #[serde(default = "hundred")]
    pub percent: f64,
    pub delay_ms: u64,
    #[serde(default)]
    pub jitter_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sampling {
    /// Head sampling ratio, 0..=1, for traces that start in this service.
    pub ratio: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DropSpans {
    pub dependency: String,
    #[serde(default = "hundred")]
    pub percent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Propagation {
    pub dependency: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogDelay {
    /// Seconds each log line is held before it is written (0..=3600).
    pub delay_seconds: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogDrop {
    #[serde(default = "hundred")]
    pub percent: f64,
}

/// Warnings a healthy-but-noisy service might log (a slow cache refresh, a late config
/// reload), written as the service's own lines: they alarm without explaining anything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogNoise {
    /// Warning lines per second (more than 0, at most 50), spread evenly.
    pub lines_per_second: f64,
}

/// A background job that keeps part of one core busy whatever the traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CpuBurn {
    /// Thousandths of one core kept busy (1..=1000).
    pub millicores: u32,
}

// === impl Fault ===

impl Fault {
    /// The fault's kind, for labels and summaries.
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Latency(_) => FaultKind::Latency,
            Fault::Hang(_) => FaultKind::Hang,
            Fault::Error(_) => FaultKind::Error,
            Fault::Cpu(_) => FaultKind::Cpu,
            Fault::Memory(_) => FaultKind::Memory,
            Fault::Timeout(_) => FaultKind::Timeout,
            Fault::Retry(_) => FaultKind::Retry,
            Fault::Pool(_) => FaultKind::Pool,
            Fault::ClientLatency(_) => FaultKind::ClientLatency,
            Fault::Sampling(_) => FaultKind::Sampling,
            Fault::DropSpans(_) => FaultKind::DropSpans,
            Fault::BreakPropagation(_) => FaultKind::BreakPropagation,
            Fault::LogDelay(_) => FaultKind::LogDelay,
            Fault::LogDrop(_) => FaultKind::LogDrop,
            Fault::LogNoise(_) => FaultKind::LogNoise,
            Fault::CpuBurn(_) => FaultKind::CpuBurn,
        }
    }

    /// The dependency a client-side or span fault is about, if any.
    pub fn dependency(&self) -> Option<&str> {
        match self {
            Fault::Timeout(f) => Some(&f.dependency),
            Fault::Retry(f) => Some(&f.dependency),
            Fault::Pool(f) => Some(&f.dependency),
            Fault::ClientLatency(f) => Some(&f.dependency),
            Fault::DropSpans(f) => Some(&f.dependency),
            Fault::BreakPropagation(f) => Some(&f.dependency),
            _ => None,
        }
    }
}

// === impl FaultKind ===

impl FaultKind {
    /// Every kind, in documentation order.
    pub const ALL: [FaultKind; 16] = [
        FaultKind::Latency,
        FaultKind::Hang,
        FaultKind::Error,
        FaultKind::Cpu,
        FaultKind::Memory,
        FaultKind::Timeout,
        FaultKind::Retry,
        FaultKind::Pool,
        FaultKind::ClientLatency,
        FaultKind::Sampling,
        FaultKind::DropSpans,
        FaultKind::BreakPropagation,
        FaultKind::LogDelay,
        FaultKind::LogDrop,
        FaultKind::LogNoise,
        FaultKind::CpuBurn,
    ];

    /// The kind as written in fault documents.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Latency => "latency",
            FaultKind::Hang => "hang",
            FaultKind::Error => "error",
            FaultKind::Cpu => "cpu",
            FaultKind::Memory => "memory",
            FaultKind::Timeout => "timeout",
            FaultKind::Retry => "retry",
            FaultKind::Pool => "pool",
            FaultKind::ClientLatency => "client-latency",
            FaultKind::Sampling => "sampling",
            FaultKind::DropSpans => "drop-spans",
            FaultKind::BreakPropagation => "break-propagation",
            FaultKind::LogDelay => "log-delay",
            FaultKind::LogDrop => "log-drop",
            FaultKind::LogNoise => "log-noise",
            FaultKind::CpuBurn => "cpu-burn",
        }
    }
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// === impl FaultSet ===

impl FaultSet {
    /// An empty set: the healthy state.
    pub fn healthy(generation: u64, lease_seconds: u32) -> Self {
        FaultSet { generation, lease_seconds, faults: Vec::new() }
    }

    /// The JSON schema of the document, for docs, CRDs and editors.
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(FaultSet)).expect("a schema is plain JSON")
    }
}
