//! Traces: a sampler that obeys the `sampling` fault, and a bounded export queue that obeys
//! `drop-spans` and counts what it drops.
//!
//! The queue replaces the SDK's batch processor so that (a) a full queue or a dead collector
//! never slows a request (`try_send`, drops counted) and (b) span drops can be decided per
//! dependency from the `peer.service` attribute every client span carries.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use opentelemetry::trace::{Link, SpanKind, TraceContextExt, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    Sampler, SamplingResult, SdkTracerProvider, ShouldSample, Span, SpanData, SpanExporter as _, SpanProcessor,
};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::Metrics;
use crate::chaos::{ChaosAgent, active::roll};

/// Where and how spans are exported.
#[derive(Debug, Clone)]
pub struct TraceConfig {
    /// Full OTLP/HTTP traces URL (`.../v1/traces`); `None` disables export.
    pub endpoint: Option<String>,
    /// Head sampling ratio for traces that start here (`OTEL_TRACES_SAMPLER_ARG`).
    pub ratio: f64,
    /// Spans held before new ones are dropped.
    pub queue_size: usize,
    /// Longest a span waits before its batch is sent.
    pub export_interval: Duration,
}

impl Default for TraceConfig {
    fn default() -> Self {
        TraceConfig { endpoint: None, ratio: 1.0, queue_size: 2048, export_interval: Duration::from_secs(1) }
    }
}

/// Builds the tracer provider of one service.
pub fn provider(
    service: &str,
    config: &TraceConfig,
    agent: Arc<ChaosAgent>,
    queue: Option<&SpanQueue>,
) -> SdkTracerProvider {
    let resource = Resource::builder().with_service_name(service.to_string()).build();
    let mut builder =
        SdkTracerProvider::builder().with_resource(resource).with_sampler(ChaosSampler { agent, ratio: config.ratio });
    if let Some(queue) = queue {
        builder = builder.with_span_processor(queue.processor());
    }
    builder.build()
}

/// The resource every span of `service` is exported with (`service.name` and the
/// `OTEL_RESOURCE_ATTRIBUTES` the process was given).
fn resource(service: &str) -> Resource {
    Resource::builder().with_service_name(service.to_string()).build()
}

/// The trace id of the current span, when it is sampled (so an exemplar links to a real trace).
pub fn current_trace_id() -> Option<String> {
    let cx = tracing::Span::current().context();
    let span = cx.span();
    let sc = span.span_context();
    (sc.is_valid() && sc.is_sampled()).then(|| sc.trace_id().to_string())
}

/// Parent-based sampling whose root ratio a `sampling` fault can override.
#[derive(Debug, Clone)]
struct ChaosSampler {
    agent: Arc<ChaosAgent>,
    ratio: f64,
}

impl ShouldSample for ChaosSampler {
    fn should_sample(
        &self,
        parent: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        let ratio = self.agent.snapshot().sampling_ratio.unwrap_or(self.ratio);
        let sampler = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(ratio)));
        sampler.should_sample(parent, trace_id, name, kind, attributes, links)
    }
}

enum Msg {
    Span(Box<SpanData>),
    Shutdown,
}

/// The bounded queue and the thread that exports from it.
pub struct SpanQueue {
    tx: SyncSender<Msg>,
    agent: Arc<ChaosAgent>,
    metrics: Arc<Metrics>,
    thread: Option<JoinHandle<()>>,
    done: Receiver<()>,
}

#[derive(Debug)]
struct QueueProcessor {
    tx: SyncSender<Msg>,
    agent: Arc<ChaosAgent>,
    metrics: Arc<Metrics>,
}

// === impl SpanQueue ===

impl SpanQueue {
    /// Starts the export thread. The OTLP exporter is built on that thread, away from tokio.
    pub fn start(service: &str, config: &TraceConfig, agent: Arc<ChaosAgent>, metrics: Arc<Metrics>) -> Self {
        let (tx, rx) = mpsc::sync_channel(config.queue_size);
        let (done_tx, done) = mpsc::sync_channel(1);
        let endpoint = config.endpoint.clone().unwrap_or_default();
        let resource = resource(service);
        let interval = config.export_interval;
        let thread_metrics = metrics.clone();
        let thread = std::thread::Builder::new()
            .name("span-export".into())
            .spawn(move || {
                export_loop(&endpoint, &resource, rx, interval, &thread_metrics);
                let _ = done_tx.send(());
            })
            .expect("spawning the span export thread");
        SpanQueue { tx, agent, metrics, thread: Some(thread), done }
    }

    fn processor(&self) -> QueueProcessor {
        QueueProcessor { tx: self.tx.clone(), agent: self.agent.clone(), metrics: self.metrics.clone() }
    }

    /// Sends what is queued and stops, waiting at most 3 seconds.
    pub fn shutdown(mut self) {
        let _ = self.tx.send(Msg::Shutdown);
        if self.done.recv_timeout(Duration::from_secs(3)).is_ok()
            && let Some(thread) = self.thread.take()
        {
            let _ = thread.join();
        }
    }
}

fn export_loop(endpoint: &str, resource: &Resource, rx: Receiver<Msg>, interval: Duration, metrics: &Metrics) {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(endpoint)
        .with_timeout(Duration::from_secs(2))
        .build();
    let Ok(mut exporter) = exporter else {
        tracing::warn!(endpoint, "cannot build the OTLP span exporter; spans will be dropped");
        return;
    };
    // The SDK hands the resource to processors, not to an exporter we drive ourselves.
    exporter.set_resource(resource);
    let mut batch = Vec::new();
    let mut oldest: Option<Instant> = None;
    loop {
        let wait = oldest.map_or(interval, |t| interval.saturating_sub(t.elapsed()));
        let stop = match rx.recv_timeout(wait) {
            Ok(Msg::Span(span)) => {
                batch.push(*span);
                oldest.get_or_insert_with(Instant::now);
                false
            }
            Ok(Msg::Shutdown) | Err(RecvTimeoutError::Disconnected) => true,
            Err(RecvTimeoutError::Timeout) => false,
        };
        let due = oldest.is_some_and(|t| t.elapsed() >= interval) || batch.len() >= 512;
        if (due || stop) && !batch.is_empty() {
            let n = batch.len();
            if futures_executor::block_on(exporter.export(std::mem::take(&mut batch))).is_err() {
                (0..n).for_each(|_| metrics.dropped("spans", "export_failed"));
            }
            oldest = None;
        }
        if stop {
            return;
        }
    }
}

// === impl QueueProcessor ===

impl QueueProcessor {
    /// A `drop-spans` fault on the span's dependency (`peer.service`) rolls its dice here.
    fn dropped_by_fault(&self, span: &SpanData) -> bool {
        let Some(dep) = span.attributes.iter().find(|kv| kv.key.as_str() == "peer.service") else {
            return false;
        };
        let active = self.agent.snapshot();
        let percent = active.client(dep.value.as_str().as_ref()).and_then(|c| c.drop_spans_percent);
        let drop = percent.is_some_and(roll);
        if drop {
            self.agent.record_injection(firedrill_fault::FaultKind::DropSpans);
        }
        drop
    }
}

impl SpanProcessor for QueueProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        if !span.span_context.is_sampled() || self.dropped_by_fault(&span) {
            return;
        }
        match self.tx.try_send(Msg::Span(Box::new(span))) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => self.metrics.dropped("spans", "queue_full"),
            Err(TrySendError::Disconnected(_)) => self.metrics.dropped("spans", "exporter_stopped"),
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}
