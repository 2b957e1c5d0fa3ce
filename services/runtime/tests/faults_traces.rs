//! Trace faults (`drop-spans`, `break-propagation`, `sampling`) judged by what an in-test
//! OTLP receiver really gets, against a healthy baseline of one joined trace.
//!
//! Each service exports its spans in the order they end, so once a later span has arrived,
//! every earlier span that was going to be sent has arrived too: waits use that as a barrier
//! instead of sleeping. Caller and leaf export to receivers of their own, so a span's origin
//! does not depend on its resource (see `spans_name_their_service`).

mod support;

use std::time::Duration;

use firedrill_runtime::client::ClientPolicy;
use http::StatusCode;
use serde_json::json;
use support::otlp::{CLIENT, Got, Receiver, SERVER};
use support::{Node, Setup, caller, eventually, leaf, policy};

/// Caller → leaf, each exporting to its own receiver.
struct Traced {
    caller: Node,
    leaf: Node,
    /// What the caller exported.
    mine: Receiver,
    /// What the leaf exported.
    theirs: Receiver,
}

async fn traced(policy: ClientPolicy) -> Traced {
    let (mine, theirs) = (Receiver::start().await, Receiver::start().await);
    let leaf = leaf(Setup::new().traces(&theirs.url())).await;
    let caller = caller(Setup::new().traces(&mine.url()).policy(policy), leaf.addr()).await;
    Traced { caller, leaf, mine, theirs }
}

impl Traced {
    async fn stop(self) {
        self.caller.stop().await;
        self.leaf.stop().await;
    }
}

/// Calls the caller and returns the trace id it reports.
async fn call(caller: &Node) -> Option<String> {
    let reply = caller.get("/work/7").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["trace_id"].as_str().map(str::to_string)
}

fn one<'a>(spans: &'a [Got], what: &str, pick: impl Fn(&Got) -> bool) -> &'a Got {
    let found: Vec<_> = spans.iter().filter(|s| pick(s)).collect();
    assert_eq!(found.len(), 1, "exactly one {what} in {spans:#?}");
    found[0]
}

/// Waits until a server span of `trace` has arrived at `receiver`, and returns the trace's spans.
async fn served(receiver: &Receiver, trace: &str) -> Vec<Got> {
    eventually(Duration::from_secs(5), "a server span of the trace", || async {
        let spans = receiver.trace(trace);
        spans.iter().any(|s| s.kind == SERVER).then_some(spans)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_is_one_trace_across_caller_and_leaf() {
    let t = traced(policy(1, 1000)).await;
    let trace = call(&t.caller).await.expect("a sampled request reports its trace id");
    let mine = served(&t.mine, &trace).await;
    let theirs = served(&t.theirs, &trace).await;

    let server = one(&mine, "caller server span", |s| s.kind == SERVER);
    let attempt = one(&mine, "client attempt span", |s| s.kind == CLIENT);
    assert_eq!(server.attr("http.route"), Some("/work/{id}"));
    assert_eq!(attempt.attr("peer.service"), Some("leaf"));
    assert_eq!(attempt.parent_span_id, server.span_id, "the attempt is a child of the request");
    assert!(server.parent_span_id.is_empty(), "the caller's request starts the trace");
    let leaf_server = one(&theirs, "leaf server span", |s| s.kind == SERVER);
    assert_eq!(leaf_server.parent_span_id, attempt.span_id, "W3C context links the leaf to the attempt");
    assert_eq!(leaf_server.attr("http.route"), Some("/x/{id}"));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_name_their_service() {
    let t = traced(policy(1, 1000)).await;
    let trace = call(&t.caller).await.expect("trace id");
    let mine = served(&t.mine, &trace).await;
    let theirs = served(&t.theirs, &trace).await;
    assert!(mine.iter().all(|s| s.service == "caller"), "{mine:#?}");
    assert!(theirs.iter().all(|s| s.service == "leaf"), "{theirs:#?}");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_retry_is_its_own_client_span() {
    let t = traced(policy(3, 1000)).await;
    t.leaf.inject(json!([{ "kind": "error", "status": 503 }])).await;
    assert_eq!(t.caller.get("/work/1").await.status, StatusCode::BAD_GATEWAY);
    let server = eventually(Duration::from_secs(5), "the failed request's server span", || async {
        t.mine.spans().into_iter().find(|s| s.kind == SERVER)
    })
    .await;
    assert_eq!(server.attr("http.response.status_code"), Some("502"));
    let attempts: Vec<_> = t.mine.trace(&server.trace_id).into_iter().filter(|s| s.kind == CLIENT).collect();
    let mut resends: Vec<_> = attempts.iter().filter_map(|s| s.attr("http.request.resend_count")).collect();
    resends.sort();
    assert_eq!(resends, ["0", "1", "2"], "three attempts, three spans: {attempts:#?}");
    let leaf_servers = served(&t.theirs, &server.trace_id).await;
    eventually(Duration::from_secs(5), "the leaf's three server spans", || async {
        (t.theirs.trace(&server.trace_id).len() == 3).then_some(())
    })
    .await;
    assert!(leaf_servers.iter().all(|s| s.kind == SERVER));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_spans_removes_the_callers_spans_of_that_dependency() {
    let t = traced(policy(1, 1000)).await;
    let healthy = call(&t.caller).await.expect("trace id");
    let spans = served(&t.mine, &healthy).await;
    assert!(spans.iter().any(|s| s.attr("peer.service") == Some("leaf")), "baseline has leaf spans");

    t.caller.inject(json!([{ "kind": "drop-spans", "dependency": "leaf", "percent": 100 }])).await;
    let faulty = call(&t.caller).await.expect("the trace itself is still sampled");
    let spans = served(&t.mine, &faulty).await;
    let leaked: Vec<_> = spans.iter().filter(|s| s.attr("peer.service") == Some("leaf")).collect();
    assert!(leaked.is_empty(), "spans of calls to leaf were exported: {leaked:#?}");
    assert_eq!(spans.len(), 1, "only the caller's own server span is left: {spans:#?}");
    served(&t.theirs, &faulty).await;
    let dropped = t.caller.chaos_metrics().await.value("firedrill_chaos_injections_total", &[("kind", "drop-spans")]);
    assert_eq!(dropped, Some(2.0), "the pool wait and attempt spans were dropped");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn break_propagation_splits_the_trace_at_the_dependency() {
    let t = traced(policy(1, 1000)).await;
    let joined = call(&t.caller).await.expect("trace id");
    served(&t.theirs, &joined).await;

    t.caller.inject(json!([{ "kind": "break-propagation", "dependency": "leaf" }])).await;
    let split = call(&t.caller).await.expect("trace id");
    let leaf_servers = eventually(Duration::from_secs(5), "the leaf's second server span", || async {
        let spans: Vec<_> = t.theirs.spans().into_iter().filter(|s| s.kind == SERVER).collect();
        (spans.len() >= 2).then_some(spans)
    })
    .await;
    assert_eq!(leaf_servers.len(), 2);
    assert_eq!(leaf_servers[0].trace_id, joined, "before the fault the leaf joins the caller's trace");
    let orphan = &leaf_servers[1];
    assert_ne!(orphan.trace_id, split, "after the fault the leaf starts its own trace");
    assert!(orphan.parent_span_id.is_empty(), "the leaf's span is a root: {orphan:#?}");
    let mine = served(&t.mine, &split).await;
    assert!(mine.iter().any(|s| s.kind == CLIENT), "the caller still traces its attempt");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sampling_zero_exports_nothing_from_either_side() {
    let t = traced(policy(1, 1000)).await;
    t.caller.inject(json!([{ "kind": "sampling", "ratio": 0.0 }])).await;
    for _ in 0..5 {
        assert_eq!(call(&t.caller).await, None, "an unsampled request has no trace id to report");
    }
    t.caller.clear_faults().await;
    let marker = call(&t.caller).await.expect("sampled again");
    served(&t.mine, &marker).await;
    served(&t.theirs, &marker).await;
    for (side, receiver) in [("caller", &t.mine), ("leaf", &t.theirs)] {
        let others: Vec<_> = receiver.spans().into_iter().filter(|s| s.trace_id != marker).collect();
        assert!(others.is_empty(), "the {side} exported spans of unsampled traces: {others:#?}");
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_collector_costs_spans_not_requests() {
    let closed = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        l.local_addr().expect("address")
    };
    let setup = Setup::new().traces(&format!("http://{closed}/v1/traces"));
    let leaf = leaf(setup.clone()).await;
    let caller = caller(setup, leaf.addr()).await;
    for _ in 0..5 {
        let began = std::time::Instant::now();
        assert!(call(&caller).await.is_some());
        assert!(began.elapsed() < Duration::from_millis(500), "export never slows a request");
    }
    let failed = [("signal", "spans"), ("reason", "export_failed")];
    // Five requests leave 15 caller spans: server, pool wait and client attempt each.
    let dropped = eventually(Duration::from_secs(10), "failed exports to be counted", || async {
        let n = caller.metrics().await.value("firedrill_telemetry_dropped_total", &failed).unwrap_or(0.0);
        (n >= 15.0).then_some(n)
    })
    .await;
    assert_eq!(dropped, 15.0, "every span of a failed batch is counted once");
    caller.stop().await;
    leaf.stop().await;
}
