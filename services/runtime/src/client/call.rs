//! One call to a dependency: the retry loop around attempts, and the attempt itself.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{ClientPolicy, Dependency};
use crate::chaos::ClientOverrides;
use crate::chaos::active::{jittered, roll};
use crate::telemetry::{Outcome, current_trace_id, propagation};

/// The log messages a caller writes for a failed attempt. Players read them: they are the
/// faults' real effects, the same words whatever caused them (an audit of the game's surface
/// allows them, and nothing else, on a faulted service only).
pub const UPSTREAM_ERROR: &str = "upstream error";
pub const UPSTREAM_TIMEOUT: &str = "upstream timeout";
pub const UPSTREAM_UNREACHABLE: &str = "upstream unreachable";
/// Every one of them.
pub const EFFECT_MESSAGES: [&str; 3] = [UPSTREAM_ERROR, UPSTREAM_TIMEOUT, UPSTREAM_UNREACHABLE];

/// A dependency's answer (any status below 500, or a 5xx once retries are spent).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Bytes,
    pub attempts: u32,
}

/// Why a call failed, after its retries.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error("upstream {dependency} timed out ({attempts} attempts)")]
    Timeout { dependency: String, attempts: u32 },
    #[error("upstream {dependency} answered {status} ({attempts} attempts)")]
    Status { dependency: String, status: u16, attempts: u32 },
    #[error("upstream {dependency} unreachable: {reason} ({attempts} attempts)")]
    Transport { dependency: String, reason: String, attempts: u32 },
    #[error("upstream {dependency}: no connection free within the deadline")]
    PoolTimeout { dependency: String },
}

impl CallError {
    pub fn is_timeout(&self) -> bool {
        matches!(self, CallError::Timeout { .. } | CallError::PoolTimeout { .. })
    }

    fn outcome(&self) -> Outcome {
        if self.is_timeout() { Outcome::Timeout } else { Outcome::Error }
    }
}

/// The policy in force for one call: configuration with fault overrides applied.
struct Plan {
    policy: ClientPolicy,
    pool_override: Option<usize>,
}

impl Plan {
    fn new(base: &ClientPolicy, o: &ClientOverrides) -> Self {
        let mut policy = base.clone();
        if let Some(t) = o.attempt_timeout {
            policy.attempt_timeout = t;
        }
        if let Some(d) = o.deadline {
            policy.deadline = d;
        }
        if let Some(r) = &o.retry {
            policy.retry.attempts = r.attempts;
            policy.retry.backoff = Duration::from_millis(r.backoff_ms);
            policy.retry.budget_ratio = r.budget_ratio;
        }
        Plan { policy, pool_override: o.max_concurrency }
    }
}

// === impl Dependency ===

impl Dependency {
    /// Calls `method path` with retries; `body` is sent as JSON.
    pub async fn call(&self, method: Method, path: &str, body: Option<Bytes>) -> Result<Reply, CallError> {
        let start = Instant::now();
        let overrides = self.agent.snapshot().client(&self.name).cloned().unwrap_or_default();
        let plan = Plan::new(&self.policy, &overrides);
        let result = self.retry_loop(&plan, &overrides, &method, path, body, start).await;
        let outcome = result.as_ref().map_or_else(CallError::outcome, |_| Outcome::Ok);
        self.metrics.call(&self.name, outcome, start.elapsed(), current_trace_id());
        result
    }

    async fn retry_loop(
        &self,
        plan: &Plan,
        o: &ClientOverrides,
        method: &Method,
        path: &str,
        body: Option<Bytes>,
        start: Instant,
    ) -> Result<Reply, CallError> {
        let p = &plan.policy;
        if let Some(ratio) = p.retry.budget_ratio {
            self.budget.deposit(ratio);
        }
        let mut last = CallError::Timeout { dependency: self.name.clone(), attempts: 0 };
        for attempt in 0..p.retry.attempts.max(1) {
            if attempt > 0 {
                if p.retry.budget_ratio.is_some() && !self.budget.withdraw() {
                    self.metrics.budget_exhausted(&self.name);
                    break;
                }
                let pause = p.retry.backoff_before(attempt);
                if start.elapsed() + pause >= p.deadline {
                    break;
                }
                tokio::time::sleep(pause).await;
            }
            let remaining = p.deadline.saturating_sub(start.elapsed());
            if remaining.is_zero() {
                break;
            }
            match self.attempt(attempt, plan, o, method, path, body.clone(), remaining).await {
                Ok(reply) if reply.status.as_u16() < 500 => return Ok(reply),
                Ok(reply) => {
                    let status = reply.status.as_u16();
                    tracing::warn!(dependency = %self.name, attempt, status, url.path = path, "{UPSTREAM_ERROR}");
                    last = CallError::Status { dependency: self.name.clone(), status, attempts: attempt + 1 };
                }
                Err(e) => {
                    let message = if e.is_timeout() { UPSTREAM_TIMEOUT } else { UPSTREAM_UNREACHABLE };
                    tracing::warn!(dependency = %self.name, attempt, error = %e, url.path = path, "{message}");
                    last = e;
                }
            }
        }
        Err(last)
    }

    /// One attempt: wait for a pool slot, then send, all within `remaining`.
    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        n: u32,
        plan: &Plan,
        o: &ClientOverrides,
        method: &Method,
        path: &str,
        body: Option<Bytes>,
        remaining: Duration,
    ) -> Result<Reply, CallError> {
        let began = Instant::now();
        let limit = || plan.pool_override.or_else(|| self.live_pool_override()).unwrap_or(plan.policy.pool_size);
        let wait_span = tracing::info_span!("pool wait", "peer.service" = %self.name, "otel.kind" = "internal");
        let permit = self.limiter.acquire_within(limit, remaining).instrument(wait_span).await;
        self.metrics.pool_wait(&self.name, began.elapsed());
        let Some(permit) = permit else {
            return Err(CallError::PoolTimeout { dependency: self.name.clone() });
        };
        if let Some(l) = o.latency.as_ref().filter(|l| roll(l.percent)) {
            self.agent.record_injection(firedrill_fault::FaultKind::ClientLatency);
            tokio::time::sleep(jittered(l.delay_ms, l.jitter_ms)).await;
        }
        let left = remaining.saturating_sub(began.elapsed()).min(plan.policy.attempt_timeout);
        let result = self.send(n, o, method, path, body, left).await;
        drop(permit);
        result
    }

    /// A `pool` fault that arrived after this call started still applies to its next wait.
    fn live_pool_override(&self) -> Option<usize> {
        self.agent.snapshot().client(&self.name).and_then(|c| c.max_concurrency)
    }

    async fn send(
        &self,
        n: u32,
        o: &ClientOverrides,
        method: &Method,
        path: &str,
        body: Option<Bytes>,
        timeout: Duration,
    ) -> Result<Reply, CallError> {
        let endpoint = self.endpoint();
        let span = tracing::info_span!(
            "client attempt",
            "otel.name" = %format!("{method} {}", self.name),
            "otel.kind" = "client",
            "peer.service" = %self.name,
            "http.request.method" = %method,
            "server.address" = %endpoint,
            "url.path" = %path,
            "http.request.resend_count" = n,
            "http.response.status_code" = tracing::field::Empty,
            "otel.status_code" = tracing::field::Empty,
        );
        let mut req = http::Request::builder().method(method.clone()).uri(format!("http://{endpoint}{path}"));
        if body.is_some() {
            req = req.header(http::header::CONTENT_TYPE, "application/json");
        }
        let mut req = req.body(Full::new(body.unwrap_or_default())).map_err(|e| self.transport(e.to_string(), n))?;
        if !o.break_propagation {
            propagation::inject(&span.context(), req.headers_mut());
        } else {
            self.agent.record_injection(firedrill_fault::FaultKind::BreakPropagation);
        }
        let exchange = async {
            let resp =
                self.http.request(req).await.map_err(|e| self.transport(firedrill_control::error_chain(&e), n))?;
            let status = resp.status();
            let body = resp.into_body().collect().await.map_err(|e| self.transport(e.to_string(), n))?.to_bytes();
            Ok(Reply { status, body, attempts: n + 1 })
        };
        self.metrics_attempt(n);
        let result = match tokio::time::timeout(timeout, exchange.instrument(span.clone())).await {
            Ok(result) => result,
            Err(_) => Err(CallError::Timeout { dependency: self.name.clone(), attempts: n + 1 }),
        };
        record_attempt(&span, &result);
        result
    }

    fn metrics_attempt(&self, n: u32) {
        self.metrics.attempt(&self.name, n > 0);
    }

    fn transport(&self, reason: String, n: u32) -> CallError {
        CallError::Transport { dependency: self.name.clone(), reason, attempts: n + 1 }
    }
}

fn record_attempt(span: &tracing::Span, result: &Result<Reply, CallError>) {
    match result {
        Ok(reply) => {
            span.record("http.response.status_code", reply.status.as_u16());
            if reply.status.is_server_error() {
                span.record("otel.status_code", "ERROR");
            }
        }
        Err(_) => {
            span.record("otel.status_code", "ERROR");
        }
    }
}
