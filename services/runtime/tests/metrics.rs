//! `/metrics` is OpenMetrics a scraper accepts, carries every documented name (and only
//! documented names), links latency to traces with exemplars, and never shows the chaos
//! agent's metrics to players.

mod support;

use std::time::Duration;

use http::StatusCode;
use serde_json::json;
use support::{Node, Scrape, Setup, caller, eventually, leaf, policy};

/// Every name `docs/metrics.md` lists for all services, with its OpenMetrics type.
const DOCUMENTED: [(&str, &str); 11] = [
    ("http_server_request_duration_seconds", "histogram"),
    ("http_server_active_requests", "gauge"),
    ("http_client_request_duration_seconds", "histogram"),
    ("firedrill_client_attempts", "counter"),
    ("firedrill_client_retries", "counter"),
    ("firedrill_client_pool_wait_seconds", "histogram"),
    ("firedrill_client_pool_in_use", "gauge"),
    ("firedrill_client_pool_waiting", "gauge"),
    ("firedrill_telemetry_dropped", "counter"),
    ("process_cpu_seconds", "counter"),
    ("process_resident_memory_bytes", "gauge"),
];

/// How a family's samples are named where the docs list them (counters with `_total`).
fn sample_name(family: &str, ty: &str) -> String {
    if ty == "counter" { format!("{family}_total") } else { family.to_string() }
}

async fn pair() -> (Node, Node) {
    let leaf = leaf(Setup::new()).await;
    let caller = caller(Setup::new(), leaf.addr()).await;
    (caller, leaf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_openmetrics_with_every_documented_name() {
    // Traffic that touches every family: a retried call, and spans lost to a dead collector.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind").local_addr().expect("address");
    let leaf = leaf(Setup::new()).await;
    let setup = Setup::new().traces(&format!("http://{closed}/v1/traces")).policy(policy(2, 1000));
    let caller = caller(setup, leaf.addr()).await;
    leaf.inject(json!([{ "kind": "error", "status": 503 }])).await;
    assert_eq!(caller.get("/work/1").await.status, StatusCode::BAD_GATEWAY);
    let failed = [("signal", "spans"), ("reason", "export_failed")];
    eventually(Duration::from_secs(10), "a failed span export", || async {
        caller.metrics().await.value("firedrill_telemetry_dropped_total", &failed).map(|_| ())
    })
    .await;

    let reply = caller.get("/metrics").await;
    let content_type = reply.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(content_type.starts_with("application/openmetrics-text; version=1.0.0"), "{content_type}");
    let m = Scrape::parse(&reply.text()).unwrap_or_else(|e| panic!("{e}"));
    for (name, ty) in DOCUMENTED {
        assert_eq!(m.family(name), Some(ty), "{name} should be a {ty}");
    }
    let leaf_dep = [("dependency", "leaf")];
    assert_eq!(m.value("firedrill_client_attempts_total", &leaf_dep), Some(2.0));
    assert_eq!(m.value("firedrill_client_retries_total", &leaf_dep), Some(1.0));
    let failed_call = [("dependency", "leaf"), ("outcome", "error")];
    assert_eq!(m.value("http_client_request_duration_seconds_count", &failed_call), Some(1.0));
    assert_eq!(m.value("firedrill_client_pool_wait_seconds_count", &leaf_dep), Some(2.0), "one wait per attempt");
    let server = [("http_route", "/work/{id}"), ("http_request_method", "GET"), ("status_class", "5xx")];
    assert_eq!(m.value("http_server_request_duration_seconds_count", &server), Some(1.0));
    assert!(m.value("process_resident_memory_bytes", &[]).is_some_and(|v| v > 1e6));
    caller.stop().await;
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_exist_at_zero_before_their_first_event() {
    let (caller, leaf) = pair().await;
    assert_eq!(caller.get("/work/1").await.status, StatusCode::OK);
    let m = caller.metrics().await;
    let leaf_dep = [("dependency", "leaf")];
    assert_eq!(m.value("firedrill_client_retries_total", &leaf_dep), Some(0.0), "no retry yet is 0, not absent");
    assert_eq!(m.value("firedrill_client_retry_budget_exhausted_total", &leaf_dep), Some(0.0));
    assert_eq!(m.family("firedrill_telemetry_dropped"), Some("counter"), "declared before the first drop");
    caller.stop().await;
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_exposed_metric_is_documented() {
    let (caller, leaf) = pair().await;
    assert_eq!(caller.get("/work/1").await.status, StatusCode::OK);
    // Read at run time: `cargo test` sets the variable to where this crate is now.
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let docs_path = format!("{crate_dir}/../../docs/metrics.md");
    let docs = std::fs::read_to_string(&docs_path).unwrap_or_else(|e| panic!("{docs_path}: {e}"));
    let public = caller.metrics().await;
    let chaos = caller.chaos_metrics().await;
    for (family, ty) in public.families.iter().chain(&chaos.families) {
        let name = sample_name(family, ty);
        assert!(docs.contains(&format!("`{name}`")), "{name} is exposed but not in docs/metrics.md");
    }
    caller.stop().await;
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_buckets_carry_the_trace_as_an_exemplar() {
    let (caller, leaf) = pair().await;
    let reply = caller.get("/work/1").await;
    let trace = reply.json()["trace_id"].as_str().expect("sampled request").to_string();
    let m = caller.metrics().await;
    let exemplar_traces = |name: &str, route: (&'static str, &'static str)| -> Vec<String> {
        m.find(name, &[route])
            .filter_map(|s| s.exemplar.as_ref())
            .filter_map(|(labels, _)| labels.get("trace_id").cloned())
            .collect()
    };
    let server = exemplar_traces("http_server_request_duration_seconds_bucket", ("http_route", "/work/{id}"));
    assert_eq!(server, std::slice::from_ref(&trace), "one bucket links the request's trace");
    let client = exemplar_traces("http_client_request_duration_seconds_bucket", ("dependency", "leaf"));
    assert_eq!(client, [trace], "the outbound call links the same trace");
    caller.stop().await;
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_metrics_stay_on_the_admin_port() {
    let (caller, leaf) = pair().await;
    leaf.inject(json!([{ "kind": "latency", "delayMs": 1 }])).await;
    assert_eq!(caller.get("/work/1").await.status, StatusCode::OK);
    for node in [&caller, &leaf] {
        let public = node.get("/metrics").await.text();
        assert!(!public.contains("chaos"), "players could read the fault from /metrics:\n{public}");
    }
    let chaos = leaf.chaos_metrics().await;
    assert_eq!(chaos.value("firedrill_chaos_active_faults", &[("kind", "latency")]), Some(1.0));
    assert_eq!(chaos.value("firedrill_chaos_injections_total", &[("kind", "latency")]), Some(1.0));
    assert_eq!(chaos.value("firedrill_chaos_generation", &[]), Some(1.0));
    let reply = support::web::get(leaf.running.admin_addr, "/metrics").await;
    assert_ne!(reply.status, StatusCode::OK, "the admin port serves no open /metrics");
    caller.stop().await;
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_requests_counts_what_is_in_flight() {
    let leaf = leaf(Setup::new()).await;
    leaf.inject(json!([{ "kind": "latency", "delayMs": 400 }])).await;
    let addr = leaf.addr();
    let slow = tokio::spawn(async move { support::web::get(addr, "/x/1").await.status });
    eventually(Duration::from_secs(2), "the request to be counted in flight", || async {
        (leaf.metrics().await.value("http_server_active_requests", &[]) == Some(1.0)).then_some(())
    })
    .await;
    assert_eq!(slow.await.expect("request task"), StatusCode::OK);
    assert_eq!(leaf.metrics().await.value("http_server_active_requests", &[]), Some(0.0));
    leaf.stop().await;
}
