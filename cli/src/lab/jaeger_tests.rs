//! A real Jaeger (tools/jaeger/ensure.sh) fed by two in-process runtime services, inventory →
//! warehouse, exporting over OTLP/HTTP: the trace measures read what a `drop-spans` fault
//! really does to the traces players would look at, from a healthy baseline to the fault.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use firedrill_drill::scenario::{TraceMeasure, TraceQuery};
use firedrill_runtime::client::{ClientPolicy, RetryPolicy};
use firedrill_runtime::http::{Request, Router, json};
use firedrill_runtime::telemetry::{LogOutput, TelemetryConfig, TraceConfig};
use firedrill_runtime::{Running, Service, ServiceConfig};
use http::{Method, StatusCode};
use tokio::net::TcpListener;

use super::{Process, jaeger};
use crate::http::Http;

const TOKEN: &str = "test-token";

fn config(name: &str, otlp: &str) -> ServiceConfig {
    ServiceConfig {
        name: name.into(),
        admin_token: TOKEN.into(),
        telemetry: TelemetryConfig {
            traces: TraceConfig {
                endpoint: Some(format!("{otlp}/v1/traces")),
                ratio: 1.0,
                queue_size: 2048,
                export_interval: Duration::from_millis(100),
            },
            otlp_logs_endpoint: None,
            log_output: LogOutput::Buffer(Arc::new(Mutex::new(Vec::new()))),
        },
        client: ClientPolicy {
            pool_size: 8,
            attempt_timeout: Duration::from_secs(2),
            deadline: Duration::from_secs(5),
            retry: RetryPolicy {
                attempts: 1,
                backoff: Duration::ZERO,
                max_backoff: Duration::ZERO,
                budget_ratio: None,
            },
        },
        grace: Duration::from_secs(2),
    }
}

async fn start(service: Service, router: Router) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin = TcpListener::bind("127.0.0.1:0").await.unwrap();
    service.start(router, listener, admin).unwrap()
}

/// warehouse serves `GET /query/stock/{id}`; inventory's `GET /stock/{id}` calls it.
async fn services(otlp: &str) -> (Running, Running) {
    let router = Router::new().route(Method::GET, "/query/stock/{id}", |_req: Request| async {
        Ok(json(StatusCode::OK, &serde_json::json!({ "stock": 3 })))
    });
    let warehouse = start(Service::new(config("warehouse", otlp)), router).await;
    let service = Service::new(config("inventory", otlp));
    let dep = service.dependency("warehouse", vec![warehouse.addr.to_string()]);
    let router = Router::new().route(Method::GET, "/stock/{id}", move |req: Request| {
        let dep = dep.clone();
        async move {
            let reply = dep.call(Method::GET, &format!("/query/stock/{}", req.params["id"]), None).await?;
            Ok(json(StatusCode::OK, &serde_json::json!({ "warehouse": reply.status.as_u16() })))
        }
    });
    (start(service, router).await, warehouse)
}

fn query(measure: TraceMeasure, service: &str, child: Option<&str>) -> TraceQuery {
    TraceQuery { service: service.into(), measure, child: child.map(Into::into), operation: None, lookback_seconds: 5 }
}

async fn traffic(http: &Http, inventory: SocketAddr, n: usize) {
    for i in 0..n {
        http.get(&format!("http://{inventory}/stock/{i}")).await.expect("inventory answers");
    }
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
        last = jaeger::measure(http, jaeger, q).await.expect("Jaeger answers");
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
    let http = Http::default();
    let (process, addrs): (Process, _) =
        jaeger::start(&binary(), dir.path(), dir.path().join("jaeger.log"), &http).await.unwrap();
    let (inventory, warehouse) = services(&jaeger::otlp_url(&addrs)).await;

    let missing = query(TraceMeasure::MissingChildRatio, "inventory", Some("warehouse"));
    let split = query(TraceMeasure::SplitRatio, "warehouse", None);
    let rate = query(TraceMeasure::TraceRate, "inventory", None);
    // Baseline: traces arrive whole, every call to warehouse is under inventory.
    until(&http, addrs.query, inventory.addr, &rate, |v| v >= 2.0).await;
    let seen = jaeger::services(&http, addrs.query).await.unwrap();
    assert!(seen.contains(&"inventory".into()) && seen.contains(&"warehouse".into()), "{seen:?}");
    assert_eq!(jaeger::measure(&http, addrs.query, &missing).await.unwrap(), Some(0.0));
    assert_eq!(jaeger::measure(&http, addrs.query, &split).await.unwrap(), Some(0.0));

    let faults =
        r#"{"generation":1,"leaseSeconds":60,"faults":[{"kind":"drop-spans","dependency":"warehouse","percent":100}]}"#;
    let url = format!("http://{}/chaos/faults", inventory.admin_addr);
    http.send(Method::PUT, &url, Some(TOKEN), Some(faults.into())).await.expect("fault accepted");

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
