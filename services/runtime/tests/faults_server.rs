//! Server-side faults (`hang`, `latency`, `error`) proved by their effect on a real caller:
//! timeouts and retries it really makes, the attempts the leaf really receives, the time and
//! the status the caller's client really sees.

mod support;

use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::json;
use support::proxy::CountingProxy;
use support::{Setup, caller, concurrently, eventually, leaf, policy};

const LEAF: &[(&str, &str)] = &[("dependency", "leaf")];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hang_makes_the_caller_time_out_and_retry_each_attempt() {
    const ATTEMPTS: usize = 3;
    const REQUESTS: usize = 4;
    let leaf = leaf(Setup::new()).await;
    let wire = CountingProxy::start(leaf.addr(), b"GET /x/").await;
    let caller = caller(Setup::new().policy(policy(ATTEMPTS as u32, 100)), wire.addr).await;
    leaf.inject(json!([{ "kind": "hang", "match": { "route": "/x/{id}" }, "percent": 100, "maxMs": 2000 }])).await;

    let results = concurrently(REQUESTS, |i| {
        let addr = caller.addr();
        async move {
            let began = Instant::now();
            let reply = support::web::get(addr, &format!("/work/{i}")).await;
            (reply.status, began.elapsed())
        }
    })
    .await;

    for (status, took) in &results {
        assert_eq!(*status, StatusCode::GATEWAY_TIMEOUT, "a hung leaf is a timeout upstream");
        assert!(
            *took >= Duration::from_millis(300) && *took < Duration::from_millis(900),
            "3 attempts × 100 ms should take ≈300 ms, took {took:?} (2 s would mean the hang cap answered)"
        );
    }
    let expected = ATTEMPTS * REQUESTS;
    eventually(Duration::from_secs(2), "every attempt on the wire", || async {
        (wire.requests() >= expected).then_some(())
    })
    .await;
    assert_eq!(wire.requests(), expected, "the leaf receives attempts × requests");
    let chaos = leaf.chaos_metrics().await;
    assert_eq!(chaos.value("firedrill_chaos_injections_total", &[("kind", "hang")]), Some(expected as f64));
    assert_eq!(leaf.hits(), 0, "a hang holds the request before the handler");

    let m = caller.metrics().await;
    assert_eq!(m.value("firedrill_client_attempts_total", LEAF), Some(expected as f64));
    assert_eq!(m.value("firedrill_client_retries_total", LEAF), Some(((ATTEMPTS - 1) * REQUESTS) as f64));
    let timeouts = [("dependency", "leaf"), ("outcome", "timeout")];
    assert_eq!(m.value("http_client_request_duration_seconds_count", &timeouts), Some(REQUESTS as f64));
    caller.stop().await;
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_delays_the_caller_by_the_injected_time() {
    let leaf = leaf(Setup::new()).await;
    let caller = caller(Setup::new(), leaf.addr()).await;
    let took = |path: &'static str| {
        let addr = caller.addr();
        async move {
            let began = Instant::now();
            let reply = support::web::get(addr, path).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
            began.elapsed()
        }
    };
    let before = took("/work/1").await;
    assert!(before < Duration::from_millis(150), "healthy call took {before:?}");

    leaf.inject(json!([{ "kind": "latency", "match": { "route": "/x/{id}" }, "delayMs": 200 }])).await;
    let slowed = took("/work/2").await;
    assert!(
        slowed >= Duration::from_millis(200) && slowed < Duration::from_millis(600),
        "200 ms of latency, saw {slowed:?}"
    );
    let leaf_side = leaf.metrics().await;
    let route = [("http_route", "/x/{id}")];
    let sum = leaf_side.sum("http_server_request_duration_seconds_sum", &route);
    assert!(sum >= 0.2, "the leaf measures the injected delay as its own latency, sum {sum}");

    leaf.clear_faults().await;
    let after = took("/work/3").await;
    assert!(after < Duration::from_millis(150), "fault removed, call took {after:?}");
    caller.stop().await;
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_is_retried_by_the_caller_then_becomes_502() {
    const ATTEMPTS: u32 = 3;
    let leaf = leaf(Setup::new()).await;
    let caller = caller(Setup::new().policy(policy(ATTEMPTS, 1000)), leaf.addr()).await;
    leaf.inject(json!([{ "kind": "error", "match": { "route": "/x/{id}" }, "status": 503 }])).await;

    for i in 0..2 {
        let reply = caller.get(&format!("/work/{i}")).await;
        assert_eq!(reply.status, StatusCode::BAD_GATEWAY, "{}", reply.text());
        assert!(reply.text().contains("503"), "the caller names the upstream status: {}", reply.text());
    }
    let leaf_side = leaf.metrics().await;
    let errors = [("http_route", "/x/{id}"), ("status_class", "5xx")];
    assert_eq!(leaf_side.sum("http_server_request_duration_seconds_count", &errors), 6.0);
    assert_eq!(leaf.hits(), 0, "the fault answers before the handler");
    let m = caller.metrics().await;
    assert_eq!(m.value("firedrill_client_retries_total", LEAF), Some(4.0));
    let failed = [("dependency", "leaf"), ("outcome", "error")];
    assert_eq!(m.value("http_client_request_duration_seconds_count", &failed), Some(2.0));
    caller.stop().await;
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_percent_hits_that_share_of_requests() {
    const N: usize = 300;
    let leaf = leaf(Setup::new()).await;
    leaf.inject(json!([{ "kind": "error", "percent": 30, "status": 500 }])).await;
    let mut failed = 0;
    for chunk in 0..N / 10 {
        let statuses = concurrently(10, |i| {
            let addr = leaf.addr();
            async move { support::web::get(addr, &format!("/x/{}", chunk * 10 + i)).await.status }
        })
        .await;
        for status in statuses {
            match status {
                StatusCode::OK => {}
                StatusCode::INTERNAL_SERVER_ERROR => failed += 1,
                other => panic!("unexpected status {other}"),
            }
        }
    }
    assert!((60..=120).contains(&failed), "30% of {N} should fail, {failed} did");
    assert_eq!(leaf.hits(), N - failed, "only the spared requests reach the handler");
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hang_closes_the_connection_without_an_answer_at_its_cap() {
    let leaf = leaf(Setup::new()).await;
    leaf.inject(json!([{ "kind": "hang", "maxMs": 200 }])).await;
    let began = Instant::now();
    let result = support::web::send(leaf.addr(), http::Method::GET, "/x/1", &[], Vec::new()).await;
    let took = began.elapsed();
    assert!(result.is_err(), "a hang never answers, got {result:?}");
    assert!(took >= Duration::from_millis(200) && took < Duration::from_millis(1000), "held until the cap: {took:?}");
    leaf.clear_faults().await;
    assert_eq!(leaf.get("/x/1").await.status, StatusCode::OK);
    leaf.stop().await;
}
