//! A real Jaeger (tools/jaeger/ensure.sh) fed by two in-process runtime services, inventory →
//! warehouse, exporting over OTLP/HTTP: the trace measures read what a `drop-spans` fault
//! really does to the traces players would look at, from a healthy baseline to the fault.

use std::net::SocketAddr;
use std::time::Duration;

use super::test_services::{Export, inject, services, traffic};
use super::{Process, jaeger};
use crate::http::Http;
use firedrill_drill::scenario::{TraceMeasure, TraceQuery};

fn query(measure: TraceMeasure, service: &str, child: Option<&str>) -> TraceQuery {
    TraceQuery { service: service.into(), measure, child: child.map(Into::into), operation: None, lookback_seconds: 5 }
}

/// Sends traffic until `q` satisfies `ok`, or panics after `within` with the last value.
async fn until(
    http: &Http,
    jaeger: SocketAddr,
    inventory: SocketAddr,
    q: &TraceQuery,
    ok: impl Fn(f64) -> bool,
) -> f64 {
    let end = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut last = None;
    while tokio::time::Instant::now() < end {
        traffic(http, inventory, 10).await;
        last = firedrill_backends::jaeger::measure(http, jaeger, q).await.expect("Jaeger answers");
        if last.is_some_and(&ok) {
            return last.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{} never reached the expected value; last {last:?}", q.text());
}

fn binary() -> std::path::PathBuf {
    jaeger::find().expect("Jaeger is missing; run `tools/jaeger/ensure.sh` to build it (about 5 minutes)")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_spans_takes_the_missing_child_ratio_from_zero_to_one() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = super::ledger::Ledger::create(dir.path(), "test").unwrap();
    let http = Http::default();
    let (process, addrs): (Process, _) =
        jaeger::start(&ledger, &binary(), dir.path(), dir.path().join("jaeger.log"), &http).await.unwrap();
    let (inventory, warehouse) =
        services(Export::traces(format!("http://{}/v1/traces", addrs.otlp)), Duration::from_secs(2)).await;

    let missing = query(TraceMeasure::MissingChildRatio, "inventory", Some("warehouse"));
    let split = query(TraceMeasure::SplitRatio, "warehouse", None);
    let rate = query(TraceMeasure::TraceRate, "inventory", None);
    // Baseline: traces arrive whole, every call to warehouse is under inventory.
    until(&http, addrs.query, inventory.addr, &rate, |v| v >= 2.0).await;
    let seen = firedrill_backends::jaeger::services(&http, addrs.query).await.unwrap();
    assert!(seen.contains(&"inventory".into()) && seen.contains(&"warehouse".into()), "{seen:?}");
    assert_eq!(firedrill_backends::jaeger::measure(&http, addrs.query, &missing).await.unwrap(), Some(0.0));
    assert_eq!(firedrill_backends::jaeger::measure(&http, addrs.query, &split).await.unwrap(), Some(0.0));

    inject(&http, &inventory, r#"[{"kind":"drop-spans","dependency":"warehouse","percent":100}]"#).await;

    // Once the window holds only faulted traffic, no trace has a warehouse call under
    // inventory, and every warehouse span has lost its parent.
    let v = until(&http, addrs.query, inventory.addr, &missing, |v| v >= 0.95).await;
    assert!(v <= 1.0, "{v}");
    let v = until(&http, addrs.query, inventory.addr, &split, |v| v >= 0.95).await;
    assert!(v <= 1.0, "{v}");

    inventory.stop().await;
    warehouse.stop().await;
    process.stop(Duration::from_secs(5)).await;
}

/// The Jaeger the lab builds from its Go module serves a placeholder at `/`, not the UI: the
/// lab must not send players to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jaeger_built_from_its_module_is_seen_to_have_no_ui() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = super::ledger::Ledger::create(dir.path(), "test").unwrap();
    let http = Http::default();
    let (process, addrs): (Process, _) =
        jaeger::start(&ledger, &binary(), dir.path(), dir.path().join("jaeger.log"), &http).await.unwrap();
    let page = http.get(&format!("http://{}/", addrs.query)).await.expect("Jaeger answers /");
    assert!(String::from_utf8_lossy(&page).contains("<html"), "/ is an HTML page");
    assert!(!jaeger::serves_ui(&http, addrs.query).await, "the module build has no UI assets");
    process.stop(Duration::from_secs(5)).await;
    // Nothing listens any more: no answer is no UI, not an error.
    assert!(!jaeger::serves_ui(&http, addrs.query).await);
}
