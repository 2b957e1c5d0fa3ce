//! The client side of every call: pooled connections behind a concurrency limit, per-attempt
//! timeout, overall deadline, retries with backoff and budget, W3C context on the wire, and a
//! span per attempt — each knob overridable by the chaos agent's client faults.

mod call;
mod pool;
mod retry;

pub use call::{CallError, EFFECT_MESSAGES, Reply, UPSTREAM_ERROR, UPSTREAM_TIMEOUT, UPSTREAM_UNREACHABLE};
pub use pool::Limiter;
pub use retry::{RetryBudget, RetryPolicy};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::chaos::ChaosAgent;
use crate::telemetry::ClientMetrics;

/// Limits and timeouts of calls to one dependency.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientPolicy {
    /// Concurrent calls allowed (the pool size).
    pub pool_size: usize,
    pub attempt_timeout: Duration,
    /// The whole call, retries and pool wait included.
    pub deadline: Duration,
    pub retry: RetryPolicy,
}

impl Default for ClientPolicy {
    fn default() -> Self {
        ClientPolicy {
            pool_size: 32,
            attempt_timeout: Duration::from_millis(1000),
            deadline: Duration::from_millis(3000),
            retry: RetryPolicy::default(),
        }
    }
}

/// A named downstream service with one or more endpoints (`host:port`), called round-robin.
pub struct Dependency {
    name: String,
    endpoints: Vec<String>,
    next: AtomicUsize,
    http: Client<HttpConnector, Full<Bytes>>,
    limiter: Limiter,
    budget: RetryBudget,
    policy: ClientPolicy,
    agent: Arc<ChaosAgent>,
    metrics: ClientMetrics,
}

impl Dependency {
    /// `endpoints` are `host:port` or `http://host:port`; at least one.
    pub fn new(
        name: &str,
        endpoints: Vec<String>,
        policy: ClientPolicy,
        agent: Arc<ChaosAgent>,
        metrics: ClientMetrics,
    ) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(policy.attempt_timeout));
        let http = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(policy.pool_size)
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        metrics.init_dependency(name);
        let limiter = {
            let (metrics, name) = (metrics.clone(), name.to_string());
            Limiter::with_observer(move |in_use, waiting| metrics.pool_gauges(&name, in_use, waiting))
        };
        let endpoints =
            endpoints.into_iter().map(|e| e.trim_start_matches("http://").trim_end_matches('/').to_string()).collect();
        Dependency {
            name: name.to_string(),
            endpoints,
            next: AtomicUsize::new(0),
            http,
            limiter,
            budget: RetryBudget::default(),
            policy,
            agent,
            metrics,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn endpoint(&self) -> &str {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.endpoints.len();
        &self.endpoints[i]
    }
}

impl std::fmt::Debug for Dependency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dependency").field("name", &self.name).field("endpoints", &self.endpoints).finish()
    }
}
