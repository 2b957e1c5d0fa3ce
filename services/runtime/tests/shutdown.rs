//! Graceful shutdown: a request in flight when `stop()` is called still gets its answer, new
//! connections are refused from then on, and the drain is bounded by the grace period.

mod support;

use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::json;
use support::{Node, Setup, caller, eventually, leaf};
use tokio::net::TcpStream;

async fn in_flight(node: &Node) {
    let gauge = node.running.metrics.active_requests.clone();
    eventually(Duration::from_secs(2), "the request to be in flight", || {
        let n = gauge.get();
        async move { (n == 1).then_some(()) }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_lets_the_request_in_flight_finish() {
    let leaf = leaf(Setup::new()).await;
    let caller = caller(Setup::new(), leaf.addr()).await;
    leaf.inject(json!([{ "kind": "latency", "delayMs": 300 }])).await;
    let (addr, admin) = (caller.addr(), caller.running.admin_addr);
    let sent = Instant::now();
    let request = tokio::spawn(async move { support::web::get(addr, "/work/1").await });
    in_flight(&caller).await;

    caller.stop().await;
    let stopped = sent.elapsed();
    let reply = request.await.expect("request task");
    assert_eq!(reply.status, StatusCode::OK, "drained, not cut: {}", reply.text());
    assert!(stopped >= Duration::from_millis(300), "stop() waited for the request, returned after {stopped:?}");
    assert!(TcpStream::connect(addr).await.is_err(), "the service port refuses new connections");
    assert!(TcpStream::connect(admin).await.is_err(), "the admin port is closed too");
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drain_is_bounded_by_the_grace_period() {
    let leaf = leaf(Setup::new()).await;
    let mut setup = Setup::new();
    setup.grace = Duration::from_millis(200);
    let caller = caller(setup, leaf.addr()).await;
    leaf.inject(json!([{ "kind": "latency", "delayMs": 3000 }])).await;
    let addr = caller.addr();
    let request =
        tokio::spawn(async move { support::web::send(addr, http::Method::GET, "/work/1", &[], vec![]).await });
    in_flight(&caller).await;

    let began = Instant::now();
    caller.stop().await;
    let took = began.elapsed();
    assert!(took >= Duration::from_millis(200), "the grace period was honoured, stop took {took:?}");
    assert!(took < Duration::from_millis(1500), "a 3 s request did not hold shutdown, stop took {took:?}");
    leaf.clear_faults().await;
    leaf.stop().await;
    drop(request);
}
