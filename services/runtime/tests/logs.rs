//! JSON log lines as a log pipeline reads them, and the `log-drop` and `log-delay` faults.
//!
//! One writer thread emits lines in order, so a later line's arrival proves every earlier
//! line that was going to be written has been: the tests wait for a marker, never a fixed time.

mod support;

use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::{Value, json};
use support::{Node, Setup, eventually, leaf};

/// The service's log lines, each parsed; panics on a line that is not a JSON object.
fn parsed(node: &Node) -> Vec<Value> {
    node.log_lines()
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
            assert!(v.is_object(), "not an object: {l}");
            v
        })
        .collect()
}

/// Access log lines (`message` = `request`) for `route`.
fn requests(node: &Node, route: &str) -> Vec<Value> {
    parsed(node).into_iter().filter(|l| l["message"] == "request" && l["http.route"] == route).collect()
}

async fn wait_for_requests(node: &Node, route: &str, n: usize) -> Vec<Value> {
    eventually(Duration::from_secs(5), "access log lines", || async {
        let lines = requests(node, route);
        (lines.len() >= n).then_some(lines)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_line_is_json_with_the_standard_fields() {
    let leaf = leaf(Setup::new()).await;
    leaf.inject(json!([{ "kind": "latency", "match": { "route": "/marker" }, "delayMs": 1 }])).await;
    for i in 0..3 {
        assert_eq!(leaf.get(&format!("/x/{i}")).await.status, StatusCode::OK);
    }
    wait_for_requests(&leaf, "/x/{id}", 3).await;
    let lines = parsed(&leaf);
    for line in &lines {
        let ts = line["timestamp"].as_str().unwrap_or_else(|| panic!("no timestamp: {line}"));
        humantime::parse_rfc3339(ts).unwrap_or_else(|e| panic!("timestamp {ts}: {e}"));
        assert!(["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&line["level"].as_str().unwrap_or("")), "{line}");
        assert_eq!(line["service"], "leaf", "{line}");
        assert!(line["message"].is_string(), "{line}");
    }
    assert!(lines.iter().any(|l| l["message"] == "listening"), "start-up is logged: {lines:#?}");
    let access = requests(&leaf, "/x/{id}");
    assert_eq!(access.len(), 3);
    assert!(access.iter().all(|l| l["status"] == 200 && l["duration_ms"].is_number()), "{access:#?}");
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_lines_carry_the_trace_they_belong_to() {
    let leaf = leaf(Setup::new()).await;
    let reply = leaf.get("/x/1").await;
    let trace = reply.json()["trace_id"].as_str().expect("the request is sampled").to_string();
    let line = wait_for_requests(&leaf, "/x/{id}", 1).await.remove(0);
    assert_eq!(line["trace_id"], trace.as_str(), "the access line names the request's trace: {line}");
    let span = line["span_id"].as_str().unwrap_or_else(|| panic!("no span_id: {line}"));
    assert!(span.len() == 16 && span.chars().all(|c| c.is_ascii_hexdigit()), "{line}");
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_and_stop_are_logged() {
    let leaf = leaf(Setup::new()).await;
    let logs = leaf.logs.clone();
    leaf.stop().await;
    let text = String::from_utf8_lossy(&logs.lock().expect("log buffer")).into_owned();
    assert!(text.contains("\"listening\""), "no start line in:\n{text}");
    assert!(text.contains("\"stopped\""), "no stop line in:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_drop_loses_the_lines_it_covers() {
    let leaf = leaf(Setup::new()).await;
    leaf.inject(json!([{ "kind": "log-drop", "percent": 100 }])).await;
    for i in 0..5 {
        assert_eq!(leaf.get(&format!("/x/{i}")).await.status, StatusCode::OK);
    }
    leaf.clear_faults().await;
    assert_eq!(leaf.get("/marker").await.status, StatusCode::OK);
    wait_for_requests(&leaf, "/marker", 1).await;
    let dropped = requests(&leaf, "/x/{id}");
    assert!(dropped.is_empty(), "lines written under log-drop 100%: {dropped:#?}");
    let counted = leaf.chaos_metrics().await.value("firedrill_chaos_injections_total", &[("kind", "log-drop")]);
    assert!(counted >= Some(5.0), "each dropped line is an injection, counted {counted:?}");
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_delay_holds_lines_back() {
    let leaf = leaf(Setup::new()).await;
    leaf.inject(json!([{ "kind": "log-delay", "delaySeconds": 2 }])).await;
    let sent = Instant::now();
    assert_eq!(leaf.get("/x/1").await.status, StatusCode::OK);
    let appeared = eventually(Duration::from_secs(5), "the delayed access line", || async {
        (!requests(&leaf, "/x/{id}").is_empty()).then(|| sent.elapsed())
    })
    .await;
    assert!(appeared >= Duration::from_millis(1950), "held 2 s, appeared after {appeared:?}");
    assert!(appeared < Duration::from_secs(4), "released on time, appeared after {appeared:?}");
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_log_delay_flushes_the_backlog_in_order() {
    let leaf = leaf(Setup::new()).await;
    leaf.inject(json!([{ "kind": "log-delay", "delaySeconds": 60 }])).await;
    for i in 0..3 {
        assert_eq!(leaf.get(&format!("/x/{i}")).await.status, StatusCode::OK);
    }
    let cleared = Instant::now();
    leaf.clear_faults().await;
    assert_eq!(leaf.get("/marker").await.status, StatusCode::OK);
    let marker = wait_for_requests(&leaf, "/marker", 1).await;
    assert!(cleared.elapsed() < Duration::from_secs(3), "the backlog flushed when the fault went");
    let lines = parsed(&leaf);
    let position = |route: &str| lines.iter().position(|l| l["message"] == "request" && l["http.route"] == route);
    assert_eq!(requests(&leaf, "/x/{id}").len(), 3, "held lines are written, not lost: {marker:?}");
    assert!(position("/x/{id}") < position("/marker"), "in order: {lines:#?}");
    leaf.stop().await;
}

/// Players read every service's log: a fault set arriving, being cleared or expiring leaves
/// no line there (the agent's bookkeeping is on the admin port), so a targeted service's log
/// stream cannot be told from an untargeted one's by delivery lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivering_clearing_and_expiring_faults_leave_no_log_line() {
    let leaf = leaf(Setup::new()).await;
    let latency = |generation: u64, lease: u32| json!({ "generation": generation, "leaseSeconds": lease, "faults": [{ "kind": "latency", "delayMs": 1 }] });
    leaf.put_faults(latency(1, 60)).await;
    leaf.put_faults(latency(1, 60)).await; // a renewal
    leaf.clear_faults().await;
    leaf.put_faults(latency(2, 1)).await;
    eventually(Duration::from_secs(4), "the 1 s lease to run out", || async {
        (leaf.get_faults().await["faults"] == json!([])).then_some(())
    })
    .await;
    assert_eq!(leaf.get("/marker").await.status, StatusCode::OK);
    wait_for_requests(&leaf, "/marker", 1).await;
    let lines = parsed(&leaf);
    let bookkeeping: Vec<&Value> = lines
        .iter()
        .filter(|l| {
            let text = l.to_string().to_lowercase();
            l["message"] != "request" || text.contains("fault") || text.contains("lease") || text.contains("generation")
        })
        .filter(|l| l["message"] != "listening")
        .collect();
    assert!(bookkeeping.is_empty(), "delivery shows in the service's log: {bookkeeping:#?}");
    leaf.stop().await;
}
