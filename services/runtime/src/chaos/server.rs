//! Server-side faults as a tower layer: delay, hang, fail, burn CPU or retain memory on the
//! requests a fault matches, before the handler runs (as a slow or broken process would).

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::StatusCode;
use tower::{Layer, Service};

use super::{ChaosAgent, ServerAction};
use crate::http::{BoxFuture, CloseConnection, Request, Response, json};

/// Wraps a service with the agent's server-side faults.
#[derive(Clone)]
pub struct ChaosLayer {
    agent: Arc<ChaosAgent>,
}

impl ChaosLayer {
    pub fn new(agent: Arc<ChaosAgent>) -> Self {
        ChaosLayer { agent }
    }
}

impl<S> Layer<S> for ChaosLayer {
    type Service = Chaos<S>;

    fn layer(&self, inner: S) -> Chaos<S> {
        Chaos { agent: self.agent.clone(), inner }
    }
}

/// The service produced by [`ChaosLayer`].
#[derive(Clone)]
pub struct Chaos<S> {
    agent: Arc<ChaosAgent>,
    inner: S,
}

impl<S> Service<Request> for Chaos<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let active = self.agent.snapshot();
        if !active.has_server_faults() {
            // The common case: no fault, no allocation beyond the inner future's box.
            let fut = self.inner.call(req);
            return Box::pin(fut);
        }
        let actions = active.server_actions(req.route, req.method.as_str());
        let agent = self.agent.clone();
        let mut inner = self.inner.clone();
        Box::pin(async move {
            for (kind, action) in actions {
                agent.record_injection(kind);
                if let Some(resp) = apply(&agent, action).await {
                    return Ok(resp);
                }
            }
            inner.call(req).await
        })
    }
}

/// Carries out one action; `Some` ends the request with that response.
async fn apply(agent: &ChaosAgent, action: ServerAction) -> Option<Response> {
    match action {
        ServerAction::Delay(d) => tokio::time::sleep(d).await,
        ServerAction::Hang(cap) => {
            tokio::time::sleep(cap).await;
            let never_sent = firedrill_control::ErrorReply::new("hang: the connection is closed without an answer");
            let mut resp = json(StatusCode::SERVICE_UNAVAILABLE, &never_sent);
            resp.extensions_mut().insert(CloseConnection);
            return Some(resp);
        }
        ServerAction::Fail(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let reason = status.canonical_reason().unwrap_or("error");
            return Some(json(status, &firedrill_control::ErrorReply::new(reason)));
        }
        ServerAction::BurnCpu(d) => burn_cpu(d),
        ServerAction::Retain { kib, cap_mib } => agent.retain_memory(kib, cap_mib),
    }
    None
}

/// Spins on this thread until it has used `d` of CPU time, as a hot loop in a handler would.
/// Counting thread CPU time (not wall time) keeps the cost right on a contended machine; the
/// wall-clock cap of 20 x `d` keeps a starved thread from spinning for ever.
pub(crate) fn burn_cpu(d: Duration) {
    let start_cpu = thread_cpu_time();
    let start = Instant::now();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    loop {
        for _ in 0..1000 {
            x = std::hint::black_box(x.rotate_left(5) ^ 0x2545_F491_4F6C_DD1D).wrapping_mul(31);
        }
        let used = match (start_cpu, thread_cpu_time()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => start.elapsed(),
        };
        if used >= d || start.elapsed() >= d * 20 {
            break;
        }
    }
    std::hint::black_box(x);
}

pub(crate) fn thread_cpu_time() -> Option<Duration> {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID).ok()?;
    Some(Duration::from(t))
}
