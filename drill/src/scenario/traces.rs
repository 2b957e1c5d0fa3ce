//! Trace queries: a small, fixed set of measures over the traces Jaeger holds for one service,
//! so a scenario can assert trace symptoms (dropped spans, split traces, sampled-out traffic)
//! with the same `op`/`threshold` as a PromQL signal.
//!
//! The measures are data here and computed by the CLI from the traces it fetches; this crate
//! only says what each one means and refuses queries that could never be answered (a service
//! the lab does not have, a `child` the measure does not use).

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::path::Path;
use crate::topology;

/// How far back a trace query looks, in seconds.
pub const LOOKBACK_SECONDS: std::ops::RangeInclusive<u32> = 5..=600;
const DEFAULT_LOOKBACK_SECONDS: u32 = 30;

/// A measure over the traces that have a span of `service`, started in the last
/// `lookbackSeconds` (written `query: {traces: {...}}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceQuery {
    /// The service whose traces are examined (its OTel `service.name`).
    pub service: String,
    pub measure: TraceMeasure,
    /// The dependency the measure is about: required by `missing-child-ratio` and
    /// `span-ratio`, not allowed otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child: Option<String>,
    /// Only spans of `service` named `METHOD /route` (its server span names) count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The window, 5..=600 seconds (default 30).
    #[serde(default = "default_lookback")]
    pub lookback_seconds: u32,
}

/// What is computed from the traces. Ratios over an empty set are "no data", which never
/// satisfies a signal; `trace-rate` is a count, so zero traces is a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TraceMeasure {
    /// Share (0..1) of traces through `service` in which no span of `child` (a `child` server
    /// span, or a client span with `peer.service = child`) hangs below a span of `service`.
    MissingChildRatio,
    /// Share (0..1) of `service`'s server spans whose parent span is not in their trace: the
    /// trace is split at the call into `service` (dropped caller spans, broken propagation).
    SplitRatio,
    /// `service`'s client spans calling `child` per server span of `service`: attempts per
    /// request (retries push it up, dropped spans pull it to 0).
    SpanRatio,
    /// Traces through `service` per second over the window; capped by the fetch limit, so use
    /// it for "few or none" (sampling gaps), not for exact rates.
    TraceRate,
}

fn default_lookback() -> u32 {
    DEFAULT_LOOKBACK_SECONDS
}

// === impl TraceMeasure ===

impl TraceMeasure {
    /// The name as written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            TraceMeasure::MissingChildRatio => "missing-child-ratio",
            TraceMeasure::SplitRatio => "split-ratio",
            TraceMeasure::SpanRatio => "span-ratio",
            TraceMeasure::TraceRate => "trace-rate",
        }
    }

    fn needs_child(self) -> bool {
        matches!(self, TraceMeasure::MissingChildRatio | TraceMeasure::SpanRatio)
    }
}

// === impl TraceQuery ===

impl TraceQuery {
    /// One line, e.g. `missing-child-ratio service=inventory child=warehouse lookback=30s`:
    /// what reports and the debrief print, and what a player types into Jaeger's search.
    pub fn text(&self) -> Cow<'_, str> {
        let mut out = format!("{} service={}", self.measure.as_str(), self.service);
        if let Some(child) = &self.child {
            out.push_str(&format!(" child={child}"));
        }
        if let Some(op) = &self.operation {
            out.push_str(&format!(" operation=\"{op}\""));
        }
        out.push_str(&format!(" lookback={}s", self.lookback_seconds));
        Cow::Owned(out)
    }

    /// What is wrong with the query, each with the node it is about (`at` = the `traces` node).
    pub(crate) fn problems(&self, at: &Path) -> Vec<(Path, String)> {
        let mut out = Vec::new();
        let service = topology::service(&self.service);
        if service.is_none() {
            out.push((at.key("service"), unknown(&self.service)));
        }
        match (&self.child, self.measure.needs_child()) {
            (None, true) => out.push((
                at.key("measure"),
                format!("{} needs `child`; expected the dependency it is about", self.measure.as_str()),
            )),
            (Some(_), false) => out.push((
                at.key("child"),
                format!("{} does not use `child`; expected no `child` here", self.measure.as_str()),
            )),
            (Some(child), true) => out.extend(self.child_problem(child).map(|m| (at.key("child"), m))),
            (None, false) => {}
        }
        if let (Some(op), Some(s)) = (&self.operation, service) {
            let (method, route) = op.split_once(' ').unwrap_or(("", op));
            if !s.serves(Some(method), Some(route)) {
                let msg = format!("{} serves no `{op}`; expected one of {}", s.name, s.route_list());
                out.push((at.key("operation"), msg));
            }
        }
        if !LOOKBACK_SECONDS.contains(&self.lookback_seconds) {
            let msg =
                format!("lookbackSeconds {} is out of range; expected {LOOKBACK_SECONDS:?}", self.lookback_seconds);
            out.push((at.key("lookbackSeconds"), msg));
        }
        out
    }

    fn child_problem(&self, child: &str) -> Option<String> {
        if topology::service(child).is_none() {
            return Some(unknown(child));
        }
        let service = topology::service(&self.service)?;
        let reachable = match self.measure {
            TraceMeasure::SpanRatio => service.calls(child),
            _ => calls_transitively(service.name, child),
        };
        (!reachable).then(|| match self.measure {
            TraceMeasure::SpanRatio => {
                format!("{} does not call `{child}`; expected one of {}", service.name, service.dependencies.join(", "))
            }
            _ => {
                format!("`{child}` is not downstream of {}; expected a service it calls, directly or not", service.name)
            }
        })
    }
}

fn calls_transitively(from: &str, to: &str) -> bool {
    topology::service(from).is_some_and(|s| s.dependencies.iter().any(|d| *d == to || calls_transitively(d, to)))
}

fn unknown(name: &str) -> String {
    format!("unknown service `{name}`; expected one of {}", topology::service_names())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(yaml: &str) -> TraceQuery {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn messages(q: &TraceQuery) -> Vec<String> {
        q.problems(&Path::root()).into_iter().map(|(p, m)| format!("{p}: {m}")).collect()
    }

    #[test]
    fn defaults_and_text() {
        let q = query("{service: inventory, measure: missing-child-ratio, child: warehouse}");
        assert_eq!(q.lookback_seconds, 30);
        assert_eq!(q.text(), "missing-child-ratio service=inventory child=warehouse lookback=30s");
        assert!(messages(&q).is_empty(), "{:?}", messages(&q));
    }

    #[test]
    fn child_is_checked_against_the_measure_and_the_call_graph() {
        let q = query("{service: api, measure: missing-child-ratio, child: warehouse}");
        assert!(messages(&q).is_empty(), "api reaches warehouse through inventory: {:?}", messages(&q));
        let q = query("{service: api, measure: span-ratio, child: warehouse}");
        assert_eq!(
            messages(&q),
            ["child: api does not call `warehouse`; expected one of inventory, pricing, checkout"]
        );
        let q = query("{service: warehouse, measure: missing-child-ratio, child: api}");
        assert!(messages(&q)[0].contains("`api` is not downstream of warehouse"), "{:?}", messages(&q));
        let q = query("{service: warehouse, measure: split-ratio, child: api}");
        assert_eq!(messages(&q), ["child: split-ratio does not use `child`; expected no `child` here"]);
        let q = query("{service: inventory, measure: span-ratio}");
        assert_eq!(messages(&q), ["measure: span-ratio needs `child`; expected the dependency it is about"]);
    }

    #[test]
    fn service_operation_and_lookback_are_checked() {
        let q = query("{service: invntory, measure: trace-rate, operation: GET /x, lookbackSeconds: 1}");
        let m = messages(&q);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m[0].starts_with("service: unknown service `invntory`; expected one of api,"), "{m:?}");
        assert!(m[1].starts_with("lookbackSeconds: lookbackSeconds 1 is out of range"), "{m:?}");
        let q = query("{service: inventory, measure: trace-rate, operation: 'GET /stok/{id}'}");
        assert!(messages(&q)[0].starts_with("operation: inventory serves no `GET /stok/{id}`"), "{:?}", messages(&q));
        let q = query("{service: inventory, measure: trace-rate, operation: 'GET /stock/{id}'}");
        assert!(messages(&q).is_empty(), "{:?}", messages(&q));
    }

    #[test]
    fn unknown_measure_is_refused_by_serde() {
        let e = serde_yaml::from_str::<TraceQuery>("{service: api, measure: missing-spans}").unwrap_err();
        assert!(e.to_string().contains("unknown variant `missing-spans`"), "{e}");
    }
}
