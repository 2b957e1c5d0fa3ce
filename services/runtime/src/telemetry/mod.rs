//! Telemetry, all standard: OpenMetrics on `/metrics`, OTLP traces with W3C context, and JSON
//! log lines with `trace_id`/`span_id` on stdout (and over OTLP when configured).
//!
//! Each service gets its own `tracing` dispatcher rather than the global one, so several
//! services can run in one test process and still export under their own names.

mod logs;
mod metrics;
mod process;
pub mod propagation;
mod traces;

pub use logs::{LogOutput, LogSink};
pub use metrics::{ClientMetrics, LATENCY_BUCKETS, Metrics, Outcome, TraceExemplar};
pub use traces::{SpanQueue, TraceConfig, current_trace_id};

use std::sync::Arc;

use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;

use crate::chaos::ChaosAgent;

/// Content type of the OpenMetrics text format.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Where traces and logs go.
#[derive(Debug, Clone, Default)]
pub struct TelemetryConfig {
    pub traces: TraceConfig,
    /// Full OTLP/HTTP logs URL (`.../v1/logs`); `None` keeps logs on stdout only.
    pub otlp_logs_endpoint: Option<String>,
    /// Where JSON log lines are written.
    pub log_output: LogOutput,
}

/// A service's telemetry pipeline; dropping it flushes what it can, bounded in time.
pub struct Telemetry {
    pub dispatch: tracing::Dispatch,
    pub metrics: Arc<Metrics>,
    spans: Option<SpanQueue>,
    logs: LogSink,
}

impl Telemetry {
    /// Builds the pipeline for `service`; faults are read from `agent`.
    pub fn new(service: &str, config: TelemetryConfig, agent: Arc<ChaosAgent>) -> Self {
        let metrics = Arc::new(Metrics::new());
        let logs =
            LogSink::start(service, config.log_output, config.otlp_logs_endpoint, agent.clone(), metrics.clone());
        let spans = config
            .traces
            .endpoint
            .is_some()
            .then(|| SpanQueue::start(service, &config.traces, agent.clone(), metrics.clone()));
        let provider = traces::provider(service, &config.traces, agent, spans.as_ref());
        let tracer = opentelemetry::trace::TracerProvider::tracer(&provider, "firedrill");
        // Our own crates log at INFO; libraries (hyper, the OTel SDK) only from WARN up.
        let filter = Targets::new().with_default(Level::WARN).with_target("firedrill", Level::INFO);
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(tracer).with_location(false))
            .with(logs.layer())
            .with(filter);
        Telemetry { dispatch: tracing::Dispatch::new(subscriber), metrics, spans, logs }
    }

    /// Flushes spans and logs, waiting at most a couple of seconds.
    pub fn shutdown(self) {
        if let Some(spans) = self.spans {
            spans.shutdown();
        }
        self.logs.shutdown();
    }
}
