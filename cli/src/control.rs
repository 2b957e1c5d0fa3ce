//! The lab supervisor's control API on loopback: what `firedrill lab` and `firedrill drill`
//! talk to. It only ever answers with player-safe views (the drill status has no culprit);
//! the admin token and the drawn culprit stay in the supervisor's memory.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::supervisor::Supervisor;

/// A control API answer.
pub type Reply = (StatusCode, serde_json::Value);

/// Serves the control API until the supervisor shuts down.
pub async fn serve(listener: TcpListener, supervisor: Arc<Supervisor>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let sup = supervisor.clone();
                let svc = service_fn(move |req| {
                    let sup = sup.clone();
                    async move { Ok::<_, Infallible>(respond(route(&sup, req).await)) }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                });
            }
            () = supervisor.stopped() => return,
        }
    }
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
        _ => (
            StatusCode::NOT_FOUND,
            serde_json::json!({"error": format!("no route {} {}", parts.method, parts.uri.path())}),
        ),
    }
}

/// 400 with a reason.
pub fn bad(reason: &str) -> Reply {
    (StatusCode::BAD_REQUEST, serde_json::json!({ "error": reason }))
}

fn respond((status, body): Reply) -> http::Response<Full<Bytes>> {
    let mut resp = http::Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    resp
}
