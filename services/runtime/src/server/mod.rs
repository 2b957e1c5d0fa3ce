//! The HTTP/1.1 server every service runs: probes and `/metrics` first, then the layered stack
//! (observe -> chaos -> router). The accept loop, per-connection serving and graceful drain
//! are [`listen::run`], shared with the admin API, loadgen and the CLI's supervisor.

pub mod listen;
mod observe;

pub use observe::ObserveLayer;

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower::util::BoxCloneSyncService;
use tracing::instrument::WithSubscriber;

use firedrill_control::ErrorReply;

use crate::http::{AppError, CloseConnection, Request, Response, Router, json, text};
use crate::telemetry::{Metrics, OPENMETRICS};

/// Largest request body a service accepts.
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// The layered request stack.
pub type Stack = BoxCloneSyncService<Request, Response, Infallible>;

/// What the server needs to answer requests.
pub struct App {
    pub router: Router,
    pub stack: Stack,
    pub metrics: Arc<Metrics>,
    pub ready: AtomicBool,
    pub dispatch: tracing::Dispatch,
}

/// Returned instead of a response to make hyper drop the connection (a `hang` ending).
#[derive(Debug, thiserror::Error)]
#[error("connection closed without an answer")]
pub struct HangUp;

/// Status of the probes, `{"status": "ok" | "ready" | "draining"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ProbeReply {
    pub status: &'static str,
}

/// Serves `app` on `listener` until `shutdown` resolves; readiness then turns false, and
/// in-flight requests get at most `grace` to finish (see [`listen::run`]).
pub async fn serve(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>, grace: Duration) {
    let dispatch = app.dispatch.clone();
    let ready = app.clone();
    let shutdown = async move {
        shutdown.await;
        ready.ready.store(false, Ordering::SeqCst);
    };
    let svc = service_fn(move |req| handle(app.clone(), req));
    listen::run(listener, svc, shutdown, grace).with_subscriber(dispatch).await;
}

async fn handle(app: Arc<App>, req: hyper::Request<Incoming>) -> Result<Response, HangUp> {
    match (req.method(), req.uri().path()) {
        (&http::Method::GET, "/healthz") => {
            return Ok(json(StatusCode::OK, &ProbeReply { status: "ok" }));
        }
        (&http::Method::GET, "/readyz") => return Ok(readiness(&app)),
        (&http::Method::GET, "/metrics") => {
            return Ok(text(StatusCode::OK, OPENMETRICS, app.metrics.encode()));
        }
        _ => {}
    }
    let req = match into_request(&app.router, req).await {
        Ok(req) => req,
        Err(resp) => return Ok(resp),
    };
    let resp = app.stack.clone().oneshot(req).await.unwrap_or_else(|never| match never {});
    if resp.extensions().get::<CloseConnection>().is_some() {
        return Err(HangUp);
    }
    Ok(resp)
}

fn readiness(app: &App) -> Response {
    if app.ready.load(Ordering::SeqCst) {
        json(StatusCode::OK, &ProbeReply { status: "ready" })
    } else {
        json(StatusCode::SERVICE_UNAVAILABLE, &ProbeReply { status: "draining" })
    }
}

/// Resolves the route and reads the body (bounded). Unknown routes are answered 404 here.
async fn into_request(router: &Router, req: hyper::Request<Incoming>) -> Result<Request, Response> {
    let (parts, body) = req.into_parts();
    let Some((route, params)) = router.resolve(&parts.method, parts.uri.path()) else {
        return Err(AppError::NotFound(format!("no route for {} {}", parts.method, parts.uri.path())).into_response());
    };
    let body = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            let reply = ErrorReply::new(format!("body over {MAX_REQUEST_BYTES} bytes"));
            return Err(json(StatusCode::PAYLOAD_TOO_LARGE, &reply));
        }
    };
    Ok(Request {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        route,
        params,
        headers: parts.headers,
        body,
    })
}

/// An empty body, for tests and handlers.
pub fn empty() -> Full<Bytes> {
    Full::new(Bytes::new())
}
