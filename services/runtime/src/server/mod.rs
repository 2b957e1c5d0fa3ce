//! The HTTP/1.1 server every service runs: probes and `/metrics` first, then the layered stack
//! (observe -> chaos -> router), one task per connection, graceful drain on shutdown.

mod observe;

pub use observe::ObserveLayer;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower::util::BoxCloneSyncService;
use tracing::instrument::WithSubscriber;

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

/// Accepts connections until `shutdown` resolves, then drains in-flight requests for at most
/// `grace` before returning.
pub async fn serve(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>, grace: Duration) {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => spawn_connection(&graceful, stream, peer, app.clone()),
                Err(e) => {
                    tracing::warn!(parent: None, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }
    app.ready.store(false, Ordering::SeqCst);
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(parent: None, grace_ms = grace.as_millis() as u64, "in-flight requests outlived the grace period");
    }
}

fn spawn_connection(graceful: &GracefulShutdown, stream: tokio::net::TcpStream, _peer: SocketAddr, app: Arc<App>) {
    let _ = stream.set_nodelay(true);
    let dispatch = app.dispatch.clone();
    let svc = service_fn(move |req| handle(app.clone(), req));
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
    let conn = graceful.watch(conn);
    tokio::spawn(
        async move {
            let _ = conn.await;
        }
        .with_subscriber(dispatch),
    );
}

async fn handle(app: Arc<App>, req: hyper::Request<Incoming>) -> Result<Response, HangUp> {
    match (req.method(), req.uri().path()) {
        (&http::Method::GET, "/healthz") => {
            return Ok(json(StatusCode::OK, &serde_json::json!({"status": "ok"})));
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
        json(StatusCode::OK, &serde_json::json!({"status": "ready"}))
    } else {
        json(StatusCode::SERVICE_UNAVAILABLE, &serde_json::json!({"status": "draining"}))
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
            return Err(json(StatusCode::PAYLOAD_TOO_LARGE, &serde_json::json!({"error": "body too large"})));
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
