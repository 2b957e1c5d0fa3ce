//! Two in-process runtime services for the backend tests, inventory → warehouse, exporting
//! traces and logs over OTLP/HTTP to whichever real backend a test started.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use firedrill_runtime::client::{ClientPolicy, RetryPolicy};
use firedrill_runtime::http::{Request, Router, json};
use firedrill_runtime::telemetry::{LogOutput, TelemetryConfig, TraceConfig};
use firedrill_runtime::{Running, Service, ServiceConfig};
use http::{Method, StatusCode};
use tokio::net::TcpListener;

use crate::http::Http;

pub const TOKEN: &str = "test-token";

/// Where the services send their telemetry (full OTLP/HTTP URLs).
#[derive(Debug, Clone, Default)]
pub struct Export {
    pub traces: Option<String>,
    pub logs: Option<String>,
}

impl Export {
    pub fn traces(url: String) -> Self {
        Export { traces: Some(url), logs: None }
    }

    pub fn logs(url: String) -> Self {
        Export { traces: None, logs: Some(url) }
    }
}

fn config(name: &str, export: &Export, attempt_timeout: Duration) -> ServiceConfig {
    ServiceConfig {
        name: name.into(),
        admin_token: TOKEN.into(),
        telemetry: TelemetryConfig {
            traces: TraceConfig {
                endpoint: export.traces.clone(),
                ratio: 1.0,
                queue_size: 2048,
                export_interval: Duration::from_millis(100),
            },
            otlp_logs_endpoint: export.logs.clone(),
            log_output: LogOutput::Buffer(Arc::new(Mutex::new(Vec::new()))),
        },
        client: ClientPolicy {
            pool_size: 8,
            attempt_timeout,
            deadline: attempt_timeout * 2 + Duration::from_secs(1),
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

/// warehouse serves `GET /query/stock/{id}`; inventory's `GET /stock/{id}` calls it, giving
/// each attempt `attempt_timeout`. Returns (inventory, warehouse).
pub async fn services(export: Export, attempt_timeout: Duration) -> (Running, Running) {
    let router = Router::new().route(Method::GET, "/query/stock/{id}", |_req: Request| async {
        Ok(json(StatusCode::OK, &serde_json::json!({ "stock": 3 })))
    });
    let warehouse = start(Service::new(config("warehouse", &export, attempt_timeout)), router).await;
    let service = Service::new(config("inventory", &export, attempt_timeout));
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

/// `n` requests to inventory, one after another; returns how many answered 2xx.
pub async fn traffic(http: &Http, inventory: SocketAddr, n: usize) -> usize {
    let mut ok = 0;
    for i in 0..n {
        ok += usize::from(http.get(&format!("http://{inventory}/stock/{i}")).await.is_ok());
    }
    ok
}

/// Puts `faults` (a JSON array) on a service through its admin API.
pub async fn inject(http: &Http, service: &Running, faults: &str) {
    let set = format!(r#"{{"generation":1,"leaseSeconds":60,"faults":{faults}}}"#);
    let url = format!("http://{}/chaos/faults", service.admin_addr);
    http.send(Method::PUT, &url, Some(TOKEN), Some(set)).await.expect("fault accepted");
}
