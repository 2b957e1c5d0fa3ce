//! Trace measures (`query: {traces: ...}` signals) computed from the traces Jaeger's query API
//! returns. Jaeger answers with whole traces; the symptoms of telemetry faults are in their
//! shape (a missing span, a span whose parent never arrived, no traces at all), which no single
//! Jaeger search expresses, so the shape is measured here.

use std::collections::HashMap;

use firedrill_drill::scenario::{TraceMeasure, TraceQuery};
use serde::Deserialize;

/// One span, reduced to what the measures look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub id: String,
    /// The `CHILD_OF` reference, if any (the span may not be in the trace).
    pub parent: Option<String>,
    pub service: String,
    pub operation: String,
    /// `server`, `client`, ... (OTel span kind as Jaeger tags it).
    pub kind: Option<String>,
    /// `peer.service` of a client span: the dependency it calls.
    pub peer: Option<String>,
}

/// One trace as Jaeger assembled it (every span with the same trace id).
#[derive(Debug, Clone, Default)]
pub struct Trace {
    pub spans: Vec<Span>,
}

// === Jaeger's JSON (`GET /api/traces`) ===

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    data: Vec<JsonTrace>,
}

#[derive(Deserialize)]
struct JsonTrace {
    spans: Vec<JsonSpan>,
    processes: HashMap<String, JsonProcess>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonSpan {
    #[serde(rename = "spanID")]
    span_id: String,
    operation_name: String,
    #[serde(default)]
    references: Vec<JsonRef>,
    #[serde(default)]
    tags: Vec<JsonTag>,
    #[serde(rename = "processID")]
    process_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonRef {
    ref_type: String,
    #[serde(rename = "spanID")]
    span_id: String,
}

#[derive(Deserialize)]
struct JsonTag {
    key: String,
    value: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonProcess {
    service_name: String,
}

/// Decodes the body of `GET /api/traces`.
pub fn parse(body: &[u8]) -> Result<Vec<Trace>, serde_json::Error> {
    let response: Response = serde_json::from_slice(body)?;
    Ok(response.data.into_iter().map(trace_from_json).collect())
}

fn trace_from_json(t: JsonTrace) -> Trace {
    let spans = t
        .spans
        .into_iter()
        .map(|s| {
            let tag =
                |key: &str| s.tags.iter().find(|t| t.key == key).and_then(|t| t.value.as_str()).map(str::to_string);
            Span {
                parent: s.references.iter().find(|r| r.ref_type == "CHILD_OF").map(|r| r.span_id.clone()),
                service: t.processes.get(&s.process_id).map(|p| p.service_name.clone()).unwrap_or_default(),
                kind: tag("span.kind"),
                peer: tag("peer.service"),
                id: s.span_id,
                operation: s.operation_name,
            }
        })
        .collect();
    Trace { spans }
}

// === the measures ===

/// Parent walks stop here, so a malformed trace with a reference cycle cannot hang a verify.
const MAX_DEPTH: usize = 64;

/// The value of `q` over `traces` (fetched for `q.service` over `q.lookback_seconds`);
/// `None` when a ratio has nothing to divide by.
pub fn measure(q: &TraceQuery, traces: &[Trace]) -> Option<f64> {
    let through: Vec<&Trace> = traces.iter().filter(|t| t.spans.iter().any(|s| of_service(s, q))).collect();
    match q.measure {
        TraceMeasure::TraceRate => Some(through.len() as f64 / f64::from(q.lookback_seconds.max(1))),
        TraceMeasure::MissingChildRatio => {
            let child = q.child.as_deref()?;
            let missing = through.iter().filter(|t| !has_child_below(t, &q.service, child)).count();
            ratio(missing, through.len())
        }
        TraceMeasure::SplitRatio => {
            let (mut split, mut all) = (0, 0);
            for t in &through {
                for s in t.spans.iter().filter(|s| is_server(s) && of_service(s, q)) {
                    all += 1;
                    split += usize::from(t.parent_of(s).is_none());
                }
            }
            ratio(split, all)
        }
        TraceMeasure::SpanRatio => {
            let child = q.child.as_deref()?;
            let servers: usize =
                through.iter().map(|t| t.spans.iter().filter(|s| is_server(s) && of_service(s, q)).count()).sum();
            let calls: usize = through.iter().map(|t| client_calls(t, q, child)).sum();
            ratio(calls, servers)
        }
    }
}

fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn is_server(s: &Span) -> bool {
    s.kind.as_deref() == Some("server")
}

/// A client span calling `child` (not the pool wait before it, which names the peer too).
fn is_call_to(s: &Span, child: &str) -> bool {
    s.kind.as_deref() == Some("client") && s.peer.as_deref() == Some(child)
}

/// A span of the query's service (and operation, when the query names one).
fn of_service(s: &Span, q: &TraceQuery) -> bool {
    s.service == q.service && q.operation.as_deref().is_none_or(|op| s.operation == op)
}

/// Whether a span of `child` (or a call to it) hangs below a span of `service`.
fn has_child_below(t: &Trace, service: &str, child: &str) -> bool {
    t.spans
        .iter()
        .filter(|s| s.service == child || is_call_to(s, child))
        .any(|s| std::iter::successors(Some(s), |s| t.parent_of(s)).take(MAX_DEPTH).any(|a| a.service == service))
}

/// `q.service`'s client spans calling `child`, under a matching server span of the service.
fn client_calls(t: &Trace, q: &TraceQuery, child: &str) -> usize {
    t.spans
        .iter()
        .filter(|s| s.service == q.service && is_call_to(s, child))
        .filter(|s| {
            let mut ancestors = std::iter::successors(t.parent_of(s), |p| t.parent_of(p)).take(MAX_DEPTH);
            let server = ancestors.find(|p| p.service == q.service);
            q.operation.is_none() || server.is_some_and(|p| of_service(p, q))
        })
        .count()
}

// === impl Trace ===

impl Trace {
    /// The span's parent, if the trace holds it.
    fn parent_of(&self, span: &Span) -> Option<&Span> {
        let id = span.parent.as_deref()?;
        self.spans.iter().find(|s| s.id == id)
    }
}

#[cfg(test)]
#[path = "traces_tests.rs"]
mod tests;
