//! The trace measures on hand-made Jaeger JSON: one healthy trace shape and the shapes each
//! telemetry fault leaves behind.

use super::*;

/// `(span id, parent, service, operation, kind, peer.service)`
type S<'a> = (&'a str, Option<&'a str>, &'a str, &'a str, &'a str, Option<&'a str>);

/// A trace in Jaeger's `/api/traces` JSON shape (one process per service).
fn trace_json(id: &str, spans: &[S]) -> serde_json::Value {
    let spans: Vec<_> = spans
        .iter()
        .map(|(span, parent, service, op, kind, peer)| {
            let mut tags = vec![serde_json::json!({"key": "span.kind", "type": "string", "value": kind})];
            if let Some(peer) = peer {
                tags.push(serde_json::json!({"key": "peer.service", "type": "string", "value": peer}));
            }
            let refs: Vec<_> =
                parent.iter().map(|p| serde_json::json!({"refType": "CHILD_OF", "traceID": id, "spanID": p})).collect();
            serde_json::json!({"traceID": id, "spanID": span, "operationName": op, "references": refs,
                "startTime": 1, "duration": 1, "tags": tags, "processID": format!("p-{service}")})
        })
        .collect();
    let processes: serde_json::Map<_, _> = spans
        .iter()
        .map(|s| s["processID"].as_str().unwrap().to_string())
        .map(|p| (p.clone(), serde_json::json!({"serviceName": p.trim_start_matches("p-"), "tags": []})))
        .collect();
    serde_json::json!({"traceID": id, "spans": spans, "processes": processes})
}

fn parse_all(traces: &[serde_json::Value]) -> Vec<Trace> {
    let body = serde_json::json!({"data": traces, "total": 0, "limit": 0, "offset": 0, "errors": null});
    parse(body.to_string().as_bytes()).unwrap()
}

/// inventory serves a stock lookup and calls warehouse `attempts` times, each attempt a pool
/// wait span then a client span, as the runtime records them (both carry `peer.service`);
/// `drop_client` leaves both out (a `drop-spans` fault), `break_prop` makes warehouse a root.
fn stock(id: &str, attempts: usize, drop_client: bool, break_prop: bool) -> serde_json::Value {
    let mut spans: Vec<S> = vec![("srv", None, "inventory", "GET /stock/{id}", "server", None)];
    let ids: Vec<[String; 3]> = (0..attempts).map(|i| [format!("p{i}"), format!("c{i}"), format!("w{i}")]).collect();
    for [p, c, w] in &ids {
        if !drop_client {
            spans.push((p, Some("srv"), "inventory", "pool wait", "internal", Some("warehouse")));
            spans.push((c, Some("srv"), "inventory", "GET warehouse", "client", Some("warehouse")));
        }
        if !break_prop {
            spans.push((w, Some(c), "warehouse", "GET /query/stock/{id}", "server", None));
        }
    }
    trace_json(id, &spans)
}

fn query(service: &str, measure: TraceMeasure, child: Option<&str>) -> TraceQuery {
    TraceQuery { service: service.into(), measure, child: child.map(Into::into), operation: None, lookback_seconds: 30 }
}

#[test]
fn parse_reads_services_kinds_peers_and_parents() {
    let traces = parse_all(&[stock("t1", 1, false, false)]);
    let spans = &traces[0].spans;
    assert_eq!(spans.len(), 4);
    assert_eq!(spans[1].kind.as_deref(), Some("internal"), "the pool wait");
    assert_eq!(spans[2].service, "inventory");
    assert_eq!(spans[2].kind.as_deref(), Some("client"));
    assert_eq!(spans[2].peer.as_deref(), Some("warehouse"));
    assert_eq!(spans[3].parent.as_deref(), Some("c0"));
    assert_eq!(spans[3].service, "warehouse");
}

#[test]
fn missing_child_ratio_counts_traces_without_a_call_below_the_service() {
    let q = query("inventory", TraceMeasure::MissingChildRatio, Some("warehouse"));
    let healthy = parse_all(&[stock("a", 1, false, false), stock("b", 2, false, false)]);
    assert_eq!(measure(&q, &healthy), Some(0.0));
    // Dropped client spans: warehouse's spans are still in the trace but hang below nothing.
    let dropped = parse_all(&[stock("a", 1, true, false), stock("b", 1, true, false), stock("c", 1, false, false)]);
    let v = measure(&q, &dropped).unwrap();
    assert!((v - 2.0 / 3.0).abs() < 1e-9, "{v}");
    // From the edge the same question walks through inventory.
    let api = trace_json(
        "e",
        &[
            ("a", None, "api", "GET /api/products/{id}", "server", None),
            ("ac", Some("a"), "api", "GET inventory", "client", Some("inventory")),
            ("i", Some("ac"), "inventory", "GET /stock/{id}", "server", None),
            ("ic", Some("i"), "inventory", "GET warehouse", "client", Some("warehouse")),
        ],
    );
    let q = query("api", TraceMeasure::MissingChildRatio, Some("warehouse"));
    assert_eq!(measure(&q, &parse_all(&[api])), Some(0.0));
}

#[test]
fn split_ratio_counts_server_spans_whose_parent_is_absent() {
    let q = query("warehouse", TraceMeasure::SplitRatio, None);
    assert_eq!(measure(&q, &parse_all(&[stock("a", 3, false, false)])), Some(0.0));
    assert_eq!(measure(&q, &parse_all(&[stock("a", 3, true, false)])), Some(1.0));
    // Broken propagation: warehouse's spans are roots of traces of their own.
    let roots = trace_json("r", &[("w", None, "warehouse", "GET /query/stock/{id}", "server", None)]);
    let mixed = parse_all(&[roots, stock("a", 1, false, false)]);
    assert_eq!(measure(&q, &mixed), Some(0.5));
    // No warehouse server span at all: no data, not 0.
    assert_eq!(measure(&q, &parse_all(&[stock("a", 1, false, true)])), None);
}

#[test]
fn span_ratio_is_attempts_per_request_and_honours_the_operation() {
    let q = query("inventory", TraceMeasure::SpanRatio, Some("warehouse"));
    let retried = parse_all(&[stock("a", 3, false, false), stock("b", 1, false, false)]);
    assert_eq!(measure(&q, &retried), Some(2.0));
    assert_eq!(measure(&q, &parse_all(&[stock("a", 3, true, false)])), Some(0.0));
    let q = TraceQuery {
        operation: Some("POST /reserve".into()),
        ..query("inventory", TraceMeasure::SpanRatio, Some("warehouse"))
    };
    assert_eq!(measure(&q, &retried), None, "no server span of POST /reserve");
}

#[test]
fn trace_rate_is_traces_through_the_service_per_second() {
    let q = TraceQuery { lookback_seconds: 10, ..query("inventory", TraceMeasure::TraceRate, None) };
    let other = trace_json("o", &[("p", None, "payments", "POST /charge", "server", None)]);
    let traces = parse_all(&[stock("a", 1, false, false), stock("b", 1, false, false), other]);
    assert_eq!(measure(&q, &traces), Some(0.2));
    assert_eq!(measure(&q, &[]), Some(0.0), "no traces is a value for a rate");
    let q = query("inventory", TraceMeasure::MissingChildRatio, Some("warehouse"));
    assert_eq!(measure(&q, &[]), None, "but not for a ratio");
}

#[test]
fn a_parent_cycle_does_not_hang() {
    let t = trace_json(
        "c",
        &[
            ("x", Some("y"), "inventory", "GET /stock/{id}", "server", None),
            ("y", Some("x"), "pricing", "GET /price/{id}", "server", None),
        ],
    );
    let q = query("inventory", TraceMeasure::MissingChildRatio, Some("warehouse"));
    assert_eq!(measure(&q, &parse_all(&[t])), Some(1.0));
}
