//! Every fault set carries a lease: the agent drops it when the lease runs out, even with no
//! traffic, unless a newer PUT renews it. A fault can never outlive its controller. (Renewal's
//! timing is tested on a paused clock in the agent's unit tests.)

mod support;

use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::json;
use support::{Node, Setup, eventually, leaf};

fn failing(generation: u64, lease: u32) -> serde_json::Value {
    json!({ "generation": generation, "leaseSeconds": lease, "faults": [{ "kind": "error", "status": 503 }] })
}

async fn status(leaf: &Node) -> StatusCode {
    leaf.get("/x/1").await.status
}

/// The active `error` faults as the agent's gauge reports them (reading it does not sweep).
async fn active_errors(leaf: &Node) -> f64 {
    leaf.chaos_metrics().await.value("firedrill_chaos_active_faults", &[("kind", "error")]).unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_lease_removes_the_faults_without_traffic() {
    let leaf = leaf(Setup::new()).await;
    let put_at = Instant::now();
    leaf.put_faults(failing(1, 1)).await;
    let shown = leaf.get_faults().await;
    assert_eq!(shown["faults"].as_array().map(Vec::len), Some(1), "{shown}");
    let remaining = shown["remainingSeconds"].as_f64().expect("remainingSeconds");
    assert!(remaining > 0.0 && remaining <= 1.0, "a 1 s lease has ≤ 1 s left, shows {remaining}");
    assert_eq!(status(&leaf).await, StatusCode::SERVICE_UNAVAILABLE, "the fault bites");

    // Only the sweeper can end it: the gauge is read without touching the agent's snapshot.
    eventually(Duration::from_secs(3), "the sweeper to drop the expired set", || async {
        (active_errors(&leaf).await == 0.0).then_some(())
    })
    .await;
    let lived = put_at.elapsed();
    assert!(lived >= Duration::from_millis(950), "dropped before its lease ran out: {lived:?}");
    let shown = leaf.get_faults().await;
    assert_eq!(shown["faults"], json!([]), "{shown}");
    assert_eq!(status(&leaf).await, StatusCode::OK, "the fault no longer bites");
    let expirations = leaf.chaos_metrics().await.value("firedrill_chaos_lease_expirations_total", &[]);
    assert_eq!(expirations, Some(1.0));
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_generation_replaces_the_set_and_its_lease() {
    let leaf = leaf(Setup::new()).await;
    leaf.put_faults(failing(1, 1)).await;
    let latency = json!({ "generation": 2, "leaseSeconds": 60, "faults": [{ "kind": "latency", "delayMs": 1 }] });
    leaf.put_faults(latency).await;
    assert_eq!(status(&leaf).await, StatusCode::OK, "the error fault went with its set");
    let shown = leaf.get_faults().await;
    assert_eq!(shown["generation"], 2);
    assert!(shown["remainingSeconds"].as_f64() > Some(50.0), "the new lease applies: {shown}");
    leaf.stop().await;
}
