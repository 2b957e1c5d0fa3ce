//! The service metrics registry. Names follow the OpenTelemetry HTTP semantic conventions as
//! Prometheus spells them; every one is listed in `docs/metrics.md`.

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::exemplar::HistogramWithExemplars;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// Latency buckets in seconds: fine below 100 ms, coarse up to 30 s (hangs and retries).
pub const LATENCY_BUCKETS: [f64; 15] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0];

/// Exemplar labels: the trace that produced the observation.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TraceExemplar {
    pub trace_id: String,
}

type ExemplarHistogram = HistogramWithExemplars<TraceExemplar>;
type HistogramFamily<L> = Family<L, ExemplarHistogram, fn() -> ExemplarHistogram>;

fn latency_histogram() -> ExemplarHistogram {
    HistogramWithExemplars::new(LATENCY_BUCKETS.into_iter())
}

fn plain_latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServerLabels {
    http_route: &'static str,
    http_request_method: String,
    status_class: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClientLabels {
    dependency: String,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DependencyLabel {
    dependency: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DropLabels {
    signal: &'static str,
    reason: &'static str,
}

/// How a client call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Error,
    Timeout,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Timeout => "timeout",
        }
    }
}

/// Client-side metrics, shared by every dependency of a service.
#[derive(Debug, Clone)]
pub struct ClientMetrics {
    duration: HistogramFamily<ClientLabels>,
    attempts: Family<DependencyLabel, Counter>,
    retries: Family<DependencyLabel, Counter>,
    budget_exhausted: Family<DependencyLabel, Counter>,
    pool_wait: Family<DependencyLabel, Histogram, fn() -> Histogram>,
    pool_in_use: Family<DependencyLabel, Gauge>,
    pool_waiting: Family<DependencyLabel, Gauge>,
}

/// Every metric a service exposes on `/metrics`.
#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    server_duration: HistogramFamily<ServerLabels>,
    pub active_requests: Gauge,
    pub client: ClientMetrics,
    dropped: Family<DropLabels, Counter>,
}

// === impl Metrics ===

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let server_duration: HistogramFamily<ServerLabels> = Family::new_with_constructor(latency_histogram);
        let active_requests = Gauge::default();
        let client = ClientMetrics::new();
        let dropped = Family::<DropLabels, Counter>::default();
        registry.register_with_unit(
            "http_server_request_duration",
            "Duration of inbound HTTP requests, by route, method and status class",
            Unit::Seconds,
            server_duration.clone(),
        );
        registry.register("http_server_active_requests", "Inbound requests in flight", active_requests.clone());
        client.register(&mut registry);
        registry.register(
            "firedrill_telemetry_dropped",
            "Spans or log lines dropped by the exporter (queue full, export failed)",
            dropped.clone(),
        );
        registry.register_collector(Box::new(super::process::ProcessCollector));
        for signal in ["spans", "logs"] {
            for reason in ["queue_full", "export_failed", "exporter_stopped"] {
                let _ = dropped.get_or_create(&DropLabels { signal, reason });
            }
        }
        Metrics { registry: Mutex::new(registry), server_duration, active_requests, client, dropped }
    }

    /// Lets a service add its own metrics (cache hits, query times).
    pub fn register<M: prometheus_client::registry::Metric>(&self, name: &str, help: &str, metric: M) {
        self.registry.lock().expect("registry lock").register(name, help, metric);
    }

    /// Lets a service add its own metric with a unit suffix.
    pub fn register_with_unit<M: prometheus_client::registry::Metric>(
        &self,
        name: &str,
        help: &str,
        unit: Unit,
        metric: M,
    ) {
        self.registry.lock().expect("registry lock").register_with_unit(name, help, unit, metric);
    }

    /// Records one served request.
    pub fn observe_server(
        &self,
        route: &'static str,
        method: &str,
        status: u16,
        elapsed: Duration,
        trace: Option<String>,
    ) {
        let labels = ServerLabels {
            http_route: route,
            http_request_method: method.to_string(),
            status_class: status_class(status),
        };
        let exemplar = trace.map(|trace_id| TraceExemplar { trace_id });
        self.server_duration.get_or_create(&labels).observe(elapsed.as_secs_f64(), exemplar, None);
    }

    /// Counts a span or log line the exporter had to drop.
    pub fn dropped(&self, signal: &'static str, reason: &'static str) {
        self.dropped.get_or_create(&DropLabels { signal, reason }).inc();
    }

    /// The OpenMetrics text of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        let registry = self.registry.lock().expect("registry lock");
        prometheus_client::encoding::text::encode(&mut out, &registry).expect("writing to a String cannot fail");
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

// === impl ClientMetrics ===

impl ClientMetrics {
    fn new() -> Self {
        ClientMetrics {
            duration: Family::new_with_constructor(latency_histogram),
            attempts: Family::default(),
            retries: Family::default(),
            budget_exhausted: Family::default(),
            pool_wait: Family::new_with_constructor(plain_latency_histogram),
            pool_in_use: Family::default(),
            pool_waiting: Family::default(),
        }
    }

    fn register(&self, r: &mut Registry) {
        r.register_with_unit(
            "http_client_request_duration",
            "Duration of outbound calls including retries and pool wait, by dependency and outcome",
            Unit::Seconds,
            self.duration.clone(),
        );
        r.register("firedrill_client_attempts", "Outbound attempts (first tries and retries)", self.attempts.clone());
        r.register("firedrill_client_retries", "Outbound retries", self.retries.clone());
        r.register(
            "firedrill_client_retry_budget_exhausted",
            "Retries skipped because the retry budget was empty",
            self.budget_exhausted.clone(),
        );
        r.register_with_unit(
            "firedrill_client_pool_wait",
            "Time spent waiting for a pool slot",
            Unit::Seconds,
            self.pool_wait.clone(),
        );
        r.register("firedrill_client_pool_in_use", "Pool slots in use", self.pool_in_use.clone());
        r.register("firedrill_client_pool_waiting", "Calls waiting for a pool slot", self.pool_waiting.clone());
    }

    fn label(dependency: &str) -> DependencyLabel {
        DependencyLabel { dependency: dependency.to_string() }
    }

    pub fn call(&self, dependency: &str, outcome: Outcome, elapsed: Duration, trace: Option<String>) {
        let labels = ClientLabels { dependency: dependency.to_string(), outcome: outcome.as_str() };
        let exemplar = trace.map(|trace_id| TraceExemplar { trace_id });
        self.duration.get_or_create(&labels).observe(elapsed.as_secs_f64(), exemplar, None);
    }

    pub fn attempt(&self, dependency: &str, retry: bool) {
        self.attempts.get_or_create(&Self::label(dependency)).inc();
        if retry {
            self.retries.get_or_create(&Self::label(dependency)).inc();
        }
    }

    /// Creates every series of a dependency at zero, so `rate()` and dashboards read 0
    /// rather than "no data" before the first retry or timeout.
    pub fn init_dependency(&self, dependency: &str) {
        let dep = Self::label(dependency);
        for outcome in [Outcome::Ok, Outcome::Error, Outcome::Timeout] {
            let _ = self
                .duration
                .get_or_create(&ClientLabels { dependency: dependency.to_string(), outcome: outcome.as_str() });
        }
        let _ = self.attempts.get_or_create(&dep);
        let _ = self.retries.get_or_create(&dep);
        let _ = self.budget_exhausted.get_or_create(&dep);
        let _ = self.pool_wait.get_or_create(&dep);
        let _ = self.pool_in_use.get_or_create(&dep);
        let _ = self.pool_waiting.get_or_create(&dep);
    }

    pub fn budget_exhausted(&self, dependency: &str) {
        self.budget_exhausted.get_or_create(&Self::label(dependency)).inc();
    }

    pub fn pool_wait(&self, dependency: &str, waited: Duration) {
        self.pool_wait.get_or_create(&Self::label(dependency)).observe(waited.as_secs_f64());
    }

    pub fn pool_gauges(&self, dependency: &str, in_use: usize, waiting: usize) {
        self.pool_in_use.get_or_create(&Self::label(dependency)).set(in_use as i64);
        self.pool_waiting.get_or_create(&Self::label(dependency)).set(waiting as i64);
    }
}
