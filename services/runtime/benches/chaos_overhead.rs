//! Chaos-layer overhead: the same trivial route called through the stack with and without
//! `ChaosLayer`, interleaved batch by batch in one run so machine noise hits both alike.
//!
//! Reports the median per-call time of each variant and the difference, for three states of
//! the agent: no faults, and a fault set that does not match the route (matching cost).
//! Run: `cargo bench -p firedrill-runtime --bench chaos_overhead`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use firedrill_runtime::chaos::ChaosAgent;
use firedrill_runtime::chaos::server::ChaosLayer;
use firedrill_runtime::http::{Request, Response, Router, json};
use http::{HeaderMap, Method, StatusCode};
use tower::util::BoxCloneSyncService;
use tower::{ServiceBuilder, ServiceExt};

type Svc = BoxCloneSyncService<Request, Response, Infallible>;

const ROUNDS: usize = 200;
const BATCH: usize = 500;

fn request() -> Request {
    Request {
        method: Method::GET,
        path: "/stock/7".into(),
        query: None,
        route: "/stock/{id}",
        params: HashMap::from([("id", "7".to_string())]),
        headers: HeaderMap::new(),
        body: Bytes::new(),
    }
}

/// Median nanoseconds per call over `ROUNDS` batches, for (bare, with chaos).
async fn measure(bare: &Svc, chaos: &Svc) -> (f64, f64) {
    let req = request();
    let mut a = Vec::with_capacity(ROUNDS);
    let mut b = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        for (svc, out) in [(bare, &mut a), (chaos, &mut b)] {
            let start = Instant::now();
            for _ in 0..BATCH {
                let resp = svc.clone().oneshot(req.clone()).await.unwrap_or_else(|e| match e {});
                std::hint::black_box(resp);
            }
            out.push(start.elapsed().as_nanos() as f64 / BATCH as f64);
        }
    }
    (median(a), median(b))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let agent = Arc::new(ChaosAgent::new());
        let router = Router::new().route(Method::GET, "/stock/{id}", |_req| async {
            Ok(json(StatusCode::OK, &serde_json::json!({"id": 7, "available": 3})))
        });
        let bare: Svc = BoxCloneSyncService::new(router.clone());
        let chaos: Svc =
            BoxCloneSyncService::new(ServiceBuilder::new().layer(ChaosLayer::new(agent.clone())).service(router));
        println!("chaos layer overhead ({ROUNDS} rounds x {BATCH} calls, interleaved)");
        report("no active fault", measure(&bare, &chaos).await);
        let other_route = r#"{"generation":1,"leaseSeconds":600,"faults":[
            {"kind":"latency","match":{"route":"/reserve"},"delayMs":100},
            {"kind":"error","match":{"route":"/price/{id}"},"status":503}]}"#;
        agent.put(firedrill_fault::parse_fault_set(other_route.as_bytes()).expect("valid")).expect("applied");
        report("2 faults, not matching", measure(&bare, &chaos).await);
    });
}

fn report(label: &str, (bare, chaos): (f64, f64)) {
    println!(
        "  {label:<24} bare {bare:>8.0} ns/call   with chaos {chaos:>8.0} ns/call   added {:>6.0} ns   ratio {:.3}",
        chaos - bare,
        chaos / bare
    );
}
