//! The admin API on its own port: `PUT|GET|DELETE /chaos/faults` and `GET /chaos/metrics`.
//!
//! Every request needs `Authorization: Bearer <token>`, compared in constant time. A bad
//! document is answered 400 with the field path and reason, and the active set is untouched.

use std::sync::{Arc, Mutex};
use tokio::time::Instant;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use prometheus_client::registry::Registry;
use subtle::ConstantTimeEq;

use firedrill_control::admin::{FAULTS_PATH, METRICS_PATH};
use firedrill_control::{ErrorReply, FaultsReply};

use super::ChaosAgent;
use crate::http::{Response, json as json_response, text};

/// Largest fault document accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// State behind the admin port.
pub struct Admin {
    agent: Arc<ChaosAgent>,
    token: String,
    registry: Mutex<Registry>,
}

impl Admin {
    pub fn new(agent: Arc<ChaosAgent>, token: String) -> Self {
        let mut registry = Registry::default();
        agent.register_metrics(&mut registry);
        Admin { agent, token, registry: Mutex::new(registry) }
    }

    /// Answers one admin request.
    pub async fn handle(&self, req: hyper::Request<Incoming>) -> Response {
        if !self.authorized(req.headers()) {
            let mut resp = error(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
            resp.headers_mut().insert("www-authenticate", http::HeaderValue::from_static("Bearer"));
            return resp;
        }
        match (req.method().clone(), req.uri().path()) {
            (Method::GET, FAULTS_PATH) => self.get(),
            (Method::PUT, FAULTS_PATH) => match read_body(req).await {
                Ok(body) => self.put(&body),
                Err(resp) => resp,
            },
            (Method::DELETE, FAULTS_PATH) => {
                self.agent.clear();
                self.get()
            }
            (Method::GET, METRICS_PATH) => self.metrics(),
            (_, FAULTS_PATH) => error(StatusCode::METHOD_NOT_ALLOWED, "use GET, PUT or DELETE"),
            _ => error(StatusCode::NOT_FOUND, &format!("admin routes: {FAULTS_PATH}, {METRICS_PATH}")),
        }
    }

    fn authorized(&self, headers: &http::HeaderMap) -> bool {
        let Some(given) = headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let Some(given) = given.strip_prefix("Bearer ") else {
            return false;
        };
        !self.token.is_empty() && bool::from(given.as_bytes().ct_eq(self.token.as_bytes()))
    }

    fn put(&self, body: &[u8]) -> Response {
        let set = match firedrill_fault::parse_fault_set(body) {
            Ok(set) => set,
            Err(e) => {
                let body = ErrorReply { error: e.to_string(), path: Some(e.path), reason: Some(e.reason) };
                return json_response(StatusCode::BAD_REQUEST, &body);
            }
        };
        match self.agent.put(set) {
            Ok(_) => self.get(),
            Err(e) => error(StatusCode::CONFLICT, &e.to_string()),
        }
    }

    fn get(&self) -> Response {
        let active = self.agent.snapshot();
        let remaining = active.expires_at.map(|at| at.saturating_duration_since(Instant::now()).as_secs_f64());
        let body = match &active.set {
            Some(set) => FaultsReply {
                generation: Some(set.generation),
                lease_seconds: Some(set.lease_seconds),
                remaining_seconds: remaining,
                faults: set.faults.clone(),
            },
            None => FaultsReply::none(),
        };
        json_response(StatusCode::OK, &body)
    }

    fn metrics(&self) -> Response {
        let mut out = String::new();
        let registry = self.registry.lock().expect("admin registry lock");
        match prometheus_client::encoding::text::encode(&mut out, &registry) {
            Ok(()) => text(StatusCode::OK, crate::telemetry::OPENMETRICS, out),
            Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "metrics encoding failed"),
        }
    }
}

async fn read_body(req: hyper::Request<Incoming>) -> Result<Bytes, Response> {
    match Limited::new(req.into_body(), MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            Err(error(StatusCode::PAYLOAD_TOO_LARGE, &format!("body over {MAX_BODY_BYTES} bytes")))
        }
        Err(e) => Err(error(StatusCode::BAD_REQUEST, &format!("could not read body: {e}"))),
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    json_response(status, &ErrorReply::new(message))
}
