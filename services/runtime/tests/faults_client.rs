//! Client-side faults (`pool`, `timeout`, `retry`, `client-latency`) injected into the caller:
//! each changes what the caller does on the wire, while the leaf itself stays healthy.

mod support;

use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::json;
use support::proxy::CountingProxy;
use support::{Node, Setup, caller, concurrently, eventually, leaf, policy};

const LEAF: &[(&str, &str)] = &[("dependency", "leaf")];

/// Sends `n` concurrent requests to the caller; returns the slowest one's time.
async fn storm(caller: &Node, n: usize) -> Duration {
    let began = Instant::now();
    let statuses = concurrently(n, |i| {
        let addr = caller.addr();
        async move { support::web::get(addr, &format!("/work/{i}")).await.status }
    })
    .await;
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    began.elapsed()
}

/// (sum, count) of the leaf's server-side duration on `/x/{id}`.
async fn leaf_latency(leaf: &Node) -> (f64, f64) {
    let m = leaf.metrics().await;
    let route = [("http_route", "/x/{id}")];
    (
        m.sum("http_server_request_duration_seconds_sum", &route),
        m.sum("http_server_request_duration_seconds_count", &route),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_starvation_queues_in_the_caller_not_in_the_leaf() {
    const N: usize = 8;
    let leaf = leaf(Setup::new()).await;
    let caller = caller(Setup::new().policy(policy(1, 3000)), leaf.addr()).await;
    leaf.inject(json!([{ "kind": "latency", "delayMs": 100 }])).await;

    let free = storm(&caller, N).await;
    let waited_free = caller.metrics().await.sum("firedrill_client_pool_wait_seconds_sum", LEAF);
    assert!(free < Duration::from_millis(400), "32 slots serve 8 calls at once, took {free:?}");
    assert!(waited_free < 0.1, "no queueing without the fault, waited {waited_free} s");

    caller.inject(json!([{ "kind": "pool", "dependency": "leaf", "maxConcurrency": 1 }])).await;
    let (sum0, count0) = leaf_latency(&leaf).await;
    let starved = storm(&caller, N).await;
    let m = caller.metrics().await;
    let waited = m.sum("firedrill_client_pool_wait_seconds_sum", LEAF) - waited_free;
    assert!(starved >= Duration::from_millis(800), "one slot serialises 8 × 100 ms, took {starved:?}");
    // Waiters queue 0, 100, ..., 700 ms: 2.8 s in all.
    assert!(waited >= 2.0, "pool wait should grow by ≈2.8 s, grew by {waited} s");
    let (sum1, count1) = leaf_latency(&leaf).await;
    let mean = (sum1 - sum0) / (count1 - count0);
    assert_eq!(count1 - count0, N as f64);
    assert!((0.1..0.2).contains(&mean), "the leaf stays at ≈100 ms per request, mean {mean} s");
    assert_eq!(m.value("firedrill_client_pool_waiting", LEAF), Some(0.0), "the queue drained");
    assert_eq!(m.value("firedrill_client_pool_in_use", LEAF), Some(0.0));
    caller.stop().await;
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_fault_never_lets_more_than_its_limit_through() {
    let leaf = leaf(Setup::new()).await;
    let caller = caller(Setup::new().policy(policy(1, 3000)), leaf.addr()).await;
    leaf.inject(json!([{ "kind": "latency", "delayMs": 60 }])).await;
    caller.inject(json!([{ "kind": "pool", "dependency": "leaf", "maxConcurrency": 2 }])).await;
    let watch = tokio::spawn({
        let leaf_addr = leaf.addr();
        async move {
            let mut most = 0.0f64;
            let until = Instant::now() + Duration::from_millis(500);
            while Instant::now() < until {
                let text = support::web::get(leaf_addr, "/metrics").await.text();
                let m = support::Scrape::parse(&text).expect("leaf metrics parse");
                most = most.max(m.value("http_server_active_requests", &[]).unwrap_or(0.0));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            most
        }
    });
    let took = storm(&caller, 10).await;
    let most = watch.await.expect("watcher");
    assert_eq!(most, 2.0, "the leaf sees exactly the pool limit in flight");
    assert!(took >= Duration::from_millis(300), "10 calls, 2 at a time, 60 ms each: took {took:?}");
    caller.stop().await;
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_fault_cuts_attempts_short_until_removed() {
    let leaf = leaf(Setup::new()).await;
    let caller = caller(Setup::new().policy(policy(1, 2000)), leaf.addr()).await;
    leaf.inject(json!([{ "kind": "latency", "delayMs": 200 }])).await;
    caller.inject(json!([{ "kind": "timeout", "dependency": "leaf", "attemptTimeoutMs": 50 }])).await;

    let began = Instant::now();
    let reply = caller.get("/work/1").await;
    let took = began.elapsed();
    assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT, "{}", reply.text());
    assert!(took >= Duration::from_millis(50) && took < Duration::from_millis(190), "took {took:?}");
    let timeouts = [("dependency", "leaf"), ("outcome", "timeout")];
    assert_eq!(caller.metrics().await.value("http_client_request_duration_seconds_count", &timeouts), Some(1.0));

    caller.clear_faults().await;
    let began = Instant::now();
    let reply = caller.get("/work/2").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(began.elapsed() >= Duration::from_millis(200), "the call waited for the slow leaf");
    let ok = [("dependency", "leaf"), ("outcome", "ok")];
    assert_eq!(caller.metrics().await.value("http_client_request_duration_seconds_count", &ok), Some(1.0));
    caller.stop().await;
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_fault_amplifies_what_the_leaf_receives() {
    const N: usize = 5;
    let leaf = leaf(Setup::new()).await;
    let caller = caller(Setup::new().policy(policy(1, 1000)), leaf.addr()).await;
    leaf.inject(json!([{ "kind": "error", "status": 503 }])).await;
    let failed = [("http_route", "/x/{id}"), ("status_class", "5xx")];
    let received = || async { leaf.metrics().await.sum("http_server_request_duration_seconds_count", &failed) };

    for i in 0..N {
        assert_eq!(caller.get(&format!("/work/{i}")).await.status, StatusCode::BAD_GATEWAY);
    }
    assert_eq!(received().await, N as f64, "one attempt each by policy");

    caller.inject(json!([{ "kind": "retry", "dependency": "leaf", "attempts": 4, "backoffMs": 0 }])).await;
    for i in 0..N {
        assert_eq!(caller.get(&format!("/work/{i}")).await.status, StatusCode::BAD_GATEWAY);
    }
    assert_eq!(received().await, (N + 4 * N) as f64, "four attempts each under the fault");
    let m = caller.metrics().await;
    assert_eq!(m.value("firedrill_client_retries_total", LEAF), Some((3 * N) as f64));
    caller.stop().await;
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_latency_slows_the_caller_while_the_leaf_stays_fast() {
    let leaf = leaf(Setup::new()).await;
    let caller = caller(Setup::new(), leaf.addr()).await;
    caller.inject(json!([{ "kind": "client-latency", "dependency": "leaf", "delayMs": 150 }])).await;
    let began = Instant::now();
    assert_eq!(caller.get("/work/1").await.status, StatusCode::OK);
    let took = began.elapsed();
    assert!(took >= Duration::from_millis(150) && took < Duration::from_millis(500), "took {took:?}");
    let (sum, count) = leaf_latency(&leaf).await;
    assert_eq!(count, 1.0);
    assert!(sum < 0.05, "the delay is on the caller's edge, the leaf took {sum} s");
    caller.stop().await;
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_fault_deadline_ends_the_call_before_its_retries() {
    let leaf = leaf(Setup::new()).await;
    let wire = CountingProxy::start(leaf.addr(), b"GET /x/").await;
    let caller = caller(Setup::new().policy(policy(5, 2000)), wire.addr).await;
    leaf.inject(json!([{ "kind": "latency", "delayMs": 500 }])).await;
    caller
        .inject(json!([{ "kind": "timeout", "dependency": "leaf", "attemptTimeoutMs": 100, "deadlineMs": 250 }]))
        .await;
    let began = Instant::now();
    assert_eq!(caller.get("/work/1").await.status, StatusCode::GATEWAY_TIMEOUT);
    let took = began.elapsed();
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_millis(450),
        "the 250 ms deadline, took {took:?}"
    );
    // 100 + 100 + the 50 ms left: three attempts of the five allowed.
    assert_eq!(caller.metrics().await.value("firedrill_client_attempts_total", LEAF), Some(3.0));
    eventually(Duration::from_secs(2), "the attempts on the wire", || async { (wire.requests() >= 3).then_some(()) })
        .await;
    assert_eq!(wire.requests(), 3);
    caller.stop().await;
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_budget_caps_the_amplification() {
    const N: usize = 30;
    let leaf = leaf(Setup::new()).await;
    let caller = caller(Setup::new().policy(policy(1, 1000)), leaf.addr()).await;
    leaf.inject(json!([{ "kind": "error", "status": 503 }])).await;
    let retry = json!({ "kind": "retry", "dependency": "leaf", "attempts": 3, "budgetRatio": 0.1 });
    caller.inject(json!([retry])).await;
    for i in 0..N {
        assert_eq!(caller.get(&format!("/work/{i}")).await.status, StatusCode::BAD_GATEWAY);
    }
    let m = caller.metrics().await;
    let retries = m.value("firedrill_client_retries_total", LEAF).unwrap_or(0.0);
    // A reserve of 10 tokens plus 0.1 per call: ≈13 retries, not the 60 the policy asks for.
    assert!((10.0..=14.0).contains(&retries), "the budget allows ≈13 retries, saw {retries}");
    let skipped = m.value("firedrill_client_retry_budget_exhausted_total", LEAF).unwrap_or(0.0);
    assert!(skipped >= (N - 14) as f64, "calls that could not retry are counted, saw {skipped}");
    caller.stop().await;
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_waiting_gauge_shows_the_queue_while_it_waits() {
    let leaf = leaf(Setup::new()).await;
    let caller = caller(Setup::new().policy(policy(1, 3000)), leaf.addr()).await;
    leaf.inject(json!([{ "kind": "latency", "delayMs": 1500 }])).await;
    caller.inject(json!([{ "kind": "pool", "dependency": "leaf", "maxConcurrency": 1 }])).await;
    let calls = tokio::spawn({
        let addr = caller.addr();
        async move { concurrently(4, move |i| async move { support::web::get(addr, &format!("/work/{i}")).await }).await }
    });
    // Within the first slot's 1.5 s, three calls are queued behind it.
    eventually(Duration::from_millis(1000), "the gauge to show three waiters", || async {
        let m = caller.metrics().await;
        (m.value("firedrill_client_pool_waiting", LEAF) == Some(3.0)).then_some(())
    })
    .await;
    drop(calls);
    caller.stop().await;
    leaf.stop().await;
}
