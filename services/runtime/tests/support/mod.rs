//! The harness every integration test shares: real services started in-process on
//! `127.0.0.1:0`, a `caller` wired to a `leaf`, faults delivered over the real admin API, and
//! metrics, logs and spans read the way an operator would read them.
//!
//! Each test binary uses a different part of this module, hence the `dead_code` allowance.
#![allow(dead_code)]

pub mod otlp;
pub mod proxy;
pub mod scrape;
pub mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use firedrill_runtime::client::{ClientPolicy, RetryPolicy};
use firedrill_runtime::http::{Request, Router, json};
use firedrill_runtime::telemetry::{LogOutput, TelemetryConfig, TraceConfig, current_trace_id};
use firedrill_runtime::{Running, Service, ServiceConfig};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;

pub use scrape::Scrape;
pub use web::Reply;

/// The admin bearer token of every test service.
pub const TOKEN: &str = "test-token";

/// How a test service is set up; `Setup::new()` gives quiet defaults.
#[derive(Clone)]
pub struct Setup {
    pub traces: Option<String>,
    pub policy: ClientPolicy,
    pub grace: Duration,
}

impl Setup {
    pub fn new() -> Self {
        Setup { traces: None, policy: policy(1, 1000), grace: Duration::from_secs(2) }
    }

    /// Exports spans to `url` every 100 ms.
    pub fn traces(mut self, url: &str) -> Self {
        self.traces = Some(url.to_string());
        self
    }

    pub fn policy(mut self, policy: ClientPolicy) -> Self {
        self.policy = policy;
        self
    }
}

/// A client policy with `attempts` attempts of `timeout_ms` each, no backoff, no budget, a
/// generous deadline and a large pool: nothing but the knobs under test shapes a call.
pub fn policy(attempts: u32, timeout_ms: u64) -> ClientPolicy {
    ClientPolicy {
        pool_size: 32,
        attempt_timeout: Duration::from_millis(timeout_ms),
        deadline: Duration::from_secs(10),
        retry: RetryPolicy {
            attempts,
            backoff: Duration::ZERO,
            max_backoff: Duration::from_secs(1),
            budget_ratio: None,
        },
    }
}

/// One running service with the things a test looks at.
pub struct Node {
    pub running: Running,
    /// The JSON log lines the service wrote.
    pub logs: Arc<Mutex<Vec<u8>>>,
    /// Times a handler really ran (chaos faults act before the handler).
    pub hits: Arc<AtomicUsize>,
}

fn config(name: &str, setup: &Setup, logs: Arc<Mutex<Vec<u8>>>) -> ServiceConfig {
    ServiceConfig {
        name: name.to_string(),
        admin_token: TOKEN.to_string(),
        telemetry: TelemetryConfig {
            traces: TraceConfig {
                endpoint: setup.traces.clone(),
                ratio: 1.0,
                queue_size: 2048,
                export_interval: Duration::from_millis(100),
            },
            otlp_logs_endpoint: None,
            log_output: LogOutput::Buffer(logs),
        },
        client: setup.policy.clone(),
        grace: setup.grace,
    }
}

async fn start(service: Service, router: Router, logs: Arc<Mutex<Vec<u8>>>, hits: Arc<AtomicUsize>) -> Node {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind service");
    let admin = TcpListener::bind("127.0.0.1:0").await.expect("bind admin");
    let running = service.start(router, listener, admin).expect("start service");
    Node { running, logs, hits }
}

/// A leaf named `leaf`: `GET /x/{id}` answers `{"id", "trace_id"}`, `GET /marker` answers `{}`.
pub async fn leaf(setup: Setup) -> Node {
    named_leaf("leaf", setup).await
}

pub async fn named_leaf(name: &str, setup: Setup) -> Node {
    let logs = Arc::new(Mutex::new(Vec::new()));
    let hits = Arc::new(AtomicUsize::new(0));
    let service = Service::new(config(name, &setup, logs.clone()));
    let counter = hits.clone();
    let router = Router::new()
        .route(Method::GET, "/x/{id}", move |req: Request| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                let body = json!({ "id": req.params["id"], "trace_id": current_trace_id() });
                Ok(json(StatusCode::OK, &body))
            }
        })
        .route(Method::GET, "/marker", |_req: Request| async { Ok(json(StatusCode::OK, &json!({}))) });
    start(service, router, logs, hits).await
}

/// A `caller` whose `GET /work/{id}` calls dependency `leaf` at `GET /x/{id}` on `leaf_addr`
/// and answers `{"trace_id", "leaf_status", "attempts"}`; upstream failures become 502/504.
pub async fn caller(setup: Setup, leaf_addr: SocketAddr) -> Node {
    let logs = Arc::new(Mutex::new(Vec::new()));
    let hits = Arc::new(AtomicUsize::new(0));
    let service = Service::new(config("caller", &setup, logs.clone()));
    let dep = service.dependency("leaf", vec![leaf_addr.to_string()]);
    let counter = hits.clone();
    let router = Router::new().route(Method::GET, "/work/{id}", move |req: Request| {
        counter.fetch_add(1, Ordering::SeqCst);
        let dep = dep.clone();
        async move {
            let path = format!("/x/{}", req.params["id"]);
            let reply = dep.call(Method::GET, &path, None).await?;
            let body = json!({
                "trace_id": current_trace_id(),
                "leaf_status": reply.status.as_u16(),
                "attempts": reply.attempts,
            });
            Ok(json(StatusCode::OK, &body))
        }
    });
    start(service, router, logs, hits).await
}

// === impl Node ===

impl Node {
    pub fn addr(&self) -> SocketAddr {
        self.running.addr
    }

    /// `GET path` on the service port.
    pub async fn get(&self, path: &str) -> Reply {
        web::get(self.addr(), path).await
    }

    /// Replaces the fault set over the admin API; panics unless it is accepted.
    pub async fn put_faults(&self, set: Value) -> Value {
        let reply = self.admin(Method::PUT, Some(set.to_string())).await;
        assert_eq!(reply.status, StatusCode::OK, "PUT /chaos/faults: {}", reply.text());
        reply.json()
    }

    /// Puts `faults` with generation 1 and a 60 s lease.
    pub async fn inject(&self, faults: Value) -> Value {
        self.put_faults(json!({ "generation": 1, "leaseSeconds": 60, "faults": faults })).await
    }

    pub async fn clear_faults(&self) -> Value {
        let reply = self.admin(Method::DELETE, None).await;
        assert_eq!(reply.status, StatusCode::OK, "DELETE /chaos/faults: {}", reply.text());
        reply.json()
    }

    pub async fn get_faults(&self) -> Value {
        let reply = self.admin(Method::GET, None).await;
        assert_eq!(reply.status, StatusCode::OK, "GET /chaos/faults: {}", reply.text());
        reply.json()
    }

    /// A request to `/chaos/faults` with the right token.
    pub async fn admin(&self, method: Method, body: Option<String>) -> Reply {
        let auth = format!("Bearer {TOKEN}");
        let body = body.unwrap_or_default().into_bytes();
        web::send(self.running.admin_addr, method, "/chaos/faults", &[("authorization", &auth)], body)
            .await
            .expect("admin API reachable")
    }

    /// The public `/metrics`, parsed strictly.
    pub async fn metrics(&self) -> Scrape {
        let reply = self.get("/metrics").await;
        assert_eq!(reply.status, StatusCode::OK);
        Scrape::parse(&reply.text()).unwrap_or_else(|e| panic!("bad OpenMetrics: {e}\n{}", reply.text()))
    }

    /// The agent's `/chaos/metrics` on the admin port, parsed strictly.
    pub async fn chaos_metrics(&self) -> Scrape {
        let auth = format!("Bearer {TOKEN}");
        let reply =
            web::send(self.running.admin_addr, Method::GET, "/chaos/metrics", &[("authorization", &auth)], Vec::new())
                .await
                .expect("admin API reachable");
        assert_eq!(reply.status, StatusCode::OK);
        Scrape::parse(&reply.text()).unwrap_or_else(|e| panic!("bad OpenMetrics: {e}\n{}", reply.text()))
    }

    /// Every log line written so far, as text.
    pub fn log_lines(&self) -> Vec<String> {
        let buf = self.logs.lock().expect("log buffer");
        String::from_utf8_lossy(&buf).lines().map(str::to_string).collect()
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub async fn stop(self) {
        self.running.stop().await;
    }
}

/// Polls `check` every 10 ms until it returns `Some`, panicking with `what` after `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {within:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Runs `n` copies of `f(i)` at once and returns their results in order.
pub async fn concurrently<T, F, Fut>(n: usize, f: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(f(i))).collect();
    let mut out = Vec::with_capacity(n);
    for h in handles {
        out.push(h.await.expect("task panicked"));
    }
    out
}
