//! JSON log lines with `trace_id`/`span_id`, written by one thread that also applies the
//! `log-delay` and `log-drop` faults, so delayed logs really reach stdout (and the log backend)
//! late.
//!
//! `log-delay` behaves like a log pipeline that has fallen behind: a line leaves once it is
//! as old as the delay in force *now*, in order. When the fault is removed the backlog flushes
//! at once, as a recovered pipeline's would.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::trace::{SpanId, TraceContextExt, TraceId};
use serde_json::{Map, Value};
use tracing::dispatcher::{Dispatch, WeakDispatch};
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use super::Metrics;
use crate::chaos::{ChaosAgent, active::roll};

/// Where JSON lines go: the process's stdout, or a shared buffer (tests).
#[derive(Clone, Default)]
pub enum LogOutput {
    #[default]
    Stdout,
    Buffer(Arc<Mutex<Vec<u8>>>),
    Discard,
}

impl std::fmt::Debug for LogOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LogOutput::Stdout => "Stdout",
            LogOutput::Buffer(_) => "Buffer",
            LogOutput::Discard => "Discard",
        })
    }
}

struct Line {
    json: String,
    severity: Severity,
    message: String,
    /// The event's other fields, sent as OTLP attributes so log backends can filter on them.
    fields: Map<String, Value>,
    time: SystemTime,
    trace: Option<(TraceId, SpanId)>,
    created: Instant,
}

enum Msg {
    Line(Box<Line>),
    Shutdown,
}

/// The log writer: a bounded queue in front of one writer thread.
pub struct LogSink {
    service: Arc<str>,
    tx: SyncSender<Msg>,
    agent: Arc<ChaosAgent>,
    metrics: Arc<Metrics>,
    thread: Option<JoinHandle<()>>,
}

/// The `tracing` layer that turns events into lines for a [`LogSink`].
pub struct JsonLogLayer {
    service: Arc<str>,
    tx: SyncSender<Msg>,
    agent: Arc<ChaosAgent>,
    metrics: Arc<Metrics>,
    /// The dispatcher this layer belongs to, to read span contexts from: inside a subscriber
    /// callback `Span::current()` sees no dispatcher when services use scoped dispatchers.
    dispatch: OnceLock<WeakDispatch>,
}

const QUEUE_LINES: usize = 16 * 1024;

// === impl LogSink ===

impl LogSink {
    pub fn start(
        service: &str,
        output: LogOutput,
        otlp: Option<String>,
        agent: Arc<ChaosAgent>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let (tx, rx) = mpsc::sync_channel(QUEUE_LINES);
        let name = service.to_string();
        let thread = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn({
                let agent = agent.clone();
                move || write_loop(rx, output, otlp.as_deref(), &name, &agent)
            })
            .expect("spawning the log writer thread");
        LogSink { service: service.into(), tx, agent, metrics, thread: Some(thread) }
    }

    pub fn layer(&self) -> JsonLogLayer {
        JsonLogLayer {
            service: self.service.clone(),
            tx: self.tx.clone(),
            agent: self.agent.clone(),
            metrics: self.metrics.clone(),
            dispatch: OnceLock::new(),
        }
    }

    /// Writes lines already due and stops. Lines still held by `log-delay` are lost, as they
    /// would be when a real process with a stuck log pipeline exits.
    pub fn shutdown(mut self) {
        let _ = self.tx.send(Msg::Shutdown);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The longest the writer sleeps, so a removed `log-delay` releases held lines promptly.
const MAX_WAIT: Duration = Duration::from_millis(200);

fn write_loop(rx: Receiver<Msg>, output: LogOutput, otlp: Option<&str>, service: &str, agent: &ChaosAgent) {
    let exporter = otlp.and_then(|endpoint| otlp_logger(endpoint, service));
    let mut held: VecDeque<Box<Line>> = VecDeque::new();
    let delay_now = || agent.snapshot().log_delay.unwrap_or_default();
    loop {
        let due_before = held.front().map(|l| l.created + delay_now());
        let wait = due_before.map_or(MAX_WAIT, |due| due.saturating_duration_since(Instant::now()).min(MAX_WAIT));
        let stop = match rx.recv_timeout(wait) {
            Ok(Msg::Line(line)) => {
                held.push_back(line);
                false
            }
            Ok(Msg::Shutdown) | Err(RecvTimeoutError::Disconnected) => true,
            Err(RecvTimeoutError::Timeout) => false,
        };
        // The delay in force now, read after the wait: a `log-delay` that arrived while the
        // writer slept applies to the line that woke it.
        let delay = delay_now();
        let now = Instant::now();
        while held.front().is_some_and(|l| l.created + delay <= now) {
            let line = held.pop_front().expect("checked non-empty");
            emit(&output, exporter.as_ref(), &line);
        }
        if stop {
            if let Some((provider, _)) = &exporter {
                let _ = provider.shutdown();
            }
            return;
        }
    }
}

type OtlpLogs = (opentelemetry_sdk::logs::SdkLoggerProvider, opentelemetry_sdk::logs::SdkLogger);

fn otlp_logger(endpoint: &str, service: &str) -> Option<OtlpLogs> {
    use opentelemetry_otlp::WithExportConfig;
    let exporter = opentelemetry_otlp::LogExporter::builder().with_http().with_endpoint(endpoint).build().ok()?;
    let resource = opentelemetry_sdk::Resource::builder().with_service_name(service.to_string()).build();
    let provider = opentelemetry_sdk::logs::SdkLoggerProvider::builder()
        .with_resource(resource)
        .with_batch_exporter(exporter)
        .build();
    let logger = provider.logger("firedrill");
    Some((provider, logger))
}

fn emit(output: &LogOutput, otlp: Option<&OtlpLogs>, line: &Line) {
    match output {
        LogOutput::Stdout => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", line.json);
        }
        LogOutput::Buffer(buf) => {
            let mut buf = buf.lock().expect("log buffer lock");
            let _ = writeln!(buf, "{}", line.json);
        }
        LogOutput::Discard => {}
    }
    if let Some((_, logger)) = otlp {
        let mut record = logger.create_log_record();
        record.set_timestamp(line.time);
        // Observed now, after any `log-delay`: the gap is the delay a log pipeline would add.
        record.set_observed_timestamp(SystemTime::now());
        record.set_severity_number(line.severity);
        record.set_body(AnyValue::from(line.message.clone()));
        record.add_attributes(line.fields.iter().map(|(k, v)| (k.clone(), any_value(v))));
        if let Some((trace_id, span_id)) = line.trace {
            record.set_trace_context(trace_id, span_id, None);
        }
        logger.emit(record);
    }
}

// === impl JsonLogLayer ===

impl<S> Layer<S> for JsonLogLayer
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_register_dispatch(&self, dispatch: &Dispatch) {
        let _ = self.dispatch.set(dispatch.downgrade());
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let active = self.agent.snapshot();
        if active.log_drop_percent.is_some_and(roll) {
            self.agent.record_injection(firedrill_fault::FaultKind::LogDrop);
            return;
        }
        let delay = active.log_delay.unwrap_or_default();
        if !delay.is_zero() {
            self.agent.record_injection(firedrill_fault::FaultKind::LogDelay);
        }
        let trace = self.trace_of(event, &ctx);
        let line = format_line(&self.service, event, trace);
        if let Err(TrySendError::Full(_)) = self.tx.try_send(Msg::Line(Box::new(line))) {
            self.metrics.dropped("logs", "queue_full");
        }
    }
}

impl JsonLogLayer {
    /// The trace and span ids of the span the event happened in, if any.
    fn trace_of<S>(&self, event: &tracing::Event<'_>, ctx: &Context<'_, S>) -> Option<(TraceId, SpanId)>
    where
        S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    {
        let id = ctx.event_span(event)?.id();
        let dispatch = self.dispatch.get()?.upgrade()?;
        let cx = tracing_opentelemetry::get_otel_context(&id, &dispatch)?;
        let span = cx.span();
        let sc = span.span_context();
        sc.is_valid().then(|| (sc.trace_id(), sc.span_id()))
    }
}

fn format_line(service: &str, event: &tracing::Event<'_>, trace: Option<(TraceId, SpanId)>) -> Line {
    let meta = event.metadata();
    let time = SystemTime::now();
    let mut fields = FieldVisitor(Map::new());
    event.record(&mut fields);
    let mut obj = Map::new();
    obj.insert("timestamp".into(), Value::String(humantime::format_rfc3339_millis(time).to_string()));
    obj.insert("level".into(), Value::String(meta.level().to_string()));
    obj.insert("service".into(), Value::String(service.to_string()));
    let message = fields.0.remove("message").and_then(|m| m.as_str().map(str::to_string)).unwrap_or_default();
    obj.insert("message".into(), Value::String(message.clone()));
    obj.insert("target".into(), Value::String(meta.target().to_string()));
    if let Some((trace_id, span_id)) = trace {
        obj.insert("trace_id".into(), Value::String(trace_id.to_string()));
        obj.insert("span_id".into(), Value::String(span_id.to_string()));
    }
    obj.extend(fields.0.clone());
    let json = Value::Object(obj).to_string();
    Line { json, severity: severity(meta.level()), message, fields: fields.0, time, trace, created: Instant::now() }
}

fn any_value(v: &Value) -> AnyValue {
    match v {
        Value::Bool(b) => AnyValue::Boolean(*b),
        Value::Number(n) => n.as_i64().map_or_else(|| AnyValue::Double(n.as_f64().unwrap_or_default()), AnyValue::Int),
        Value::String(s) => AnyValue::from(s.clone()),
        other => AnyValue::from(other.to_string()),
    }
}

fn severity(level: &tracing::Level) -> Severity {
    match *level {
        tracing::Level::ERROR => Severity::Error,
        tracing::Level::WARN => Severity::Warn,
        tracing::Level::INFO => Severity::Info,
        tracing::Level::DEBUG => Severity::Debug,
        tracing::Level::TRACE => Severity::Trace,
    }
}

struct FieldVisitor(Map<String, Value>);

impl Visit for FieldVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), Value::String(value.into()));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().into(), Value::String(format!("{value:?}")));
    }
}
