//! The lab supervisor's control API on loopback: what `firedrill lab` and `firedrill drill`
//! talk to. It only ever answers with player-safe views (the drill status has no culprit);
//! the admin token and the drawn culprit stay in the supervisor's memory.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use firedrill_control::ErrorReply;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use tokio::net::TcpListener;

use crate::supervisor::Supervisor;

mod wire;

pub use wire::*;

/// A control API answer: a status and one of the [`wire`] replies (or an [`ErrorReply`]).
pub type Reply = (StatusCode, serde_json::Value);

/// A typed answer, for the supervisor's handlers.
pub fn reply<T: serde::Serialize>(status: StatusCode, body: &T) -> Reply {
    (status, serde_json::to_value(body).unwrap_or_default())
}

/// How long control calls in flight at shutdown may take to finish.
const GRACE: Duration = Duration::from_secs(2);

/// Serves the control API until the supervisor shuts down, on the runtime's accept loop (the
/// same one the services run: it backs off instead of spinning when descriptors run out).
pub async fn serve(listener: TcpListener, supervisor: Arc<Supervisor>) {
    let sup = supervisor.clone();
    let svc = service_fn(move |req| {
        let sup = sup.clone();
        async move { Ok::<_, Infallible>(respond(route(&sup, req).await)) }
    });
    let stopped = async move { supervisor.stopped().await };
    firedrill_runtime::server::listen::run(listener, svc, stopped, GRACE).await;
}

async fn route(sup: &Supervisor, req: hyper::Request<Incoming>) -> Reply {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, 64 * 1024).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return bad("body too large or unreadable"),
    };
    let json = || serde_json::from_slice::<serde_json::Value>(&body).map_err(|e| format!("invalid JSON: {e}"));
    match (&parts.method, parts.uri.path()) {
        (&Method::GET, "/lab") => sup.lab_status().await,
        (&Method::POST, "/shutdown") => sup.shutdown(),
        (&Method::POST, "/drill") => match json() {
            Ok(v) => sup.start_drill(v).await,
            Err(e) => bad(&e),
        },
        (&Method::GET, "/drill") => sup.drill_status().await,
        (&Method::POST, "/drill/diagnoses") => match json() {
            Ok(v) => sup.diagnose(v).await,
            Err(e) => bad(&e),
        },
        (&Method::POST, "/drill/hints") => match json() {
            Ok(v) => sup.hint(v).await,
            Err(e) => bad(&e),
        },
        (&Method::POST, "/drill/stop") => sup.stop_drill().await,
        (&Method::GET, "/debrief") => sup.debrief().await,
        (&Method::GET, "/leaderboard") => sup.leaderboard().await,
        _ => error(StatusCode::NOT_FOUND, &format!("no route {} {}", parts.method, parts.uri.path())),
    }
}

/// 400 with a reason.
pub fn bad(reason: &str) -> Reply {
    error(StatusCode::BAD_REQUEST, reason)
}

/// A refusal, as the lab's other APIs send it: an [`ErrorReply`].
pub fn error(status: StatusCode, reason: &str) -> Reply {
    reply(status, &ErrorReply::new(reason))
}

fn respond((status, body): Reply) -> http::Response<Full<Bytes>> {
    let mut resp = http::Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    resp
}
