//! The outermost layer: a server span continuing the caller's W3C trace, the in-flight gauge,
//! the duration histogram with a trace exemplar, and one access log line per request.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use prometheus_client::metrics::gauge::Gauge;
use tower::{Layer, Service};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::http::{BoxFuture, Request, Response};
use crate::telemetry::{Metrics, current_trace_id, propagation};

#[derive(Clone)]
pub struct ObserveLayer {
    metrics: Arc<Metrics>,
}

impl ObserveLayer {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        ObserveLayer { metrics }
    }
}

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe { metrics: self.metrics.clone(), inner }
    }
}

#[derive(Clone)]
pub struct Observe<S> {
    metrics: Arc<Metrics>,
    inner: S,
}

impl<S> Service<Request> for Observe<S>
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
        let metrics = self.metrics.clone();
        let route = req.route;
        let method = req.method.clone();
        let span = tracing::info_span!(
            "server",
            "otel.name" = %format!("{method} {route}"),
            "otel.kind" = "server",
            "http.request.method" = %method,
            "http.route" = route,
            "url.path" = %req.path,
            "http.response.status_code" = tracing::field::Empty,
            "otel.status_code" = tracing::field::Empty,
        );
        let _ = span.set_parent(propagation::extract(&req.headers));
        let fut = self.inner.call(req);
        Box::pin(
            async move {
                let start = Instant::now();
                let in_flight = InFlight::enter(&metrics.active_requests);
                let resp = fut.await.unwrap_or_else(|never| match never {});
                drop(in_flight);
                let elapsed = start.elapsed();
                let status = resp.status().as_u16();
                let current = tracing::Span::current();
                current.record("http.response.status_code", status);
                if status >= 500 {
                    current.record("otel.status_code", "ERROR");
                }
                metrics.observe_server(route, method.as_str(), status, elapsed, current_trace_id());
                let duration_ms = elapsed.as_secs_f64() * 1000.0;
                tracing::info!(http.route = route, http.method = %method, status, duration_ms, "request");
                Ok(resp)
            }
            .instrument(span),
        )
    }
}

/// Counts a request in flight until dropped, even when the request future is cancelled.
struct InFlight(Gauge);

impl InFlight {
    fn enter(gauge: &Gauge) -> Self {
        gauge.inc();
        InFlight(gauge.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}
