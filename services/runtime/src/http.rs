//! Requests, responses and routing shared by every service: a request arrives with its body
//! read and its route resolved, so layers (telemetry, chaos) can match on the route template.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::Full;
use serde::Serialize;

use crate::client::CallError;

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Responses carry their whole body.
pub type Response = http::Response<Full<Bytes>>;

/// An inbound request with its body and the route it matched.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    /// The route template, e.g. `/stock/{id}`; used as the `http_route` label and fault match.
    pub route: &'static str,
    pub params: HashMap<&'static str, String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// The one error type handlers return; mapped to a response in [`AppError::into_response`].
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(transparent)]
    Upstream(#[from] CallError),
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// Marks a response the server must not send: the connection is closed instead (a `hang`).
#[derive(Debug, Clone, Copy)]
pub struct CloseConnection;

type Handler = Arc<dyn Fn(Request) -> BoxFuture<Result<Response, AppError>> + Send + Sync>;

/// Maps method + path to a handler. Templates use `{name}` for one path segment.
#[derive(Clone, Default)]
pub struct Router {
    routes: Vec<(Method, &'static str, Handler)>,
}

// === impl Router ===

impl Router {
    pub fn new() -> Self {
        Router::default()
    }

    /// Adds a route; `template` like `/stock/{id}`.
    pub fn route<F, Fut>(mut self, method: Method, template: &'static str, handler: F) -> Self
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Response, AppError>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |req| Box::pin(handler(req)));
        self.routes.push((method, template, handler));
        self
    }

    /// Finds the route for `method` and `path`: (template, params), or `None`.
    pub fn resolve(&self, method: &Method, path: &str) -> Option<(&'static str, HashMap<&'static str, String>)> {
        self.routes
            .iter()
            .filter(|(m, _, _)| m == method)
            .find_map(|(_, template, _)| match_template(template, path).map(|p| (*template, p)))
    }

    /// The route templates, for documentation and tests.
    pub fn templates(&self) -> Vec<(Method, &'static str)> {
        self.routes.iter().map(|(m, t, _)| (m.clone(), *t)).collect()
    }

    fn handler(&self, method: &Method, template: &str) -> Option<Handler> {
        self.routes.iter().find(|(m, t, _)| m == method && *t == template).map(|(_, _, h)| h.clone())
    }
}

fn match_template(template: &'static str, path: &str) -> Option<HashMap<&'static str, String>> {
    let mut params = HashMap::new();
    let mut want = template.trim_start_matches('/').split('/');
    let mut got = path.trim_start_matches('/').split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') && !g.is_empty() => {
                params.insert(&w[1..w.len() - 1], g.to_string());
            }
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

impl tower::Service<Request> for Router {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let handler = self.handler(&req.method, req.route);
        Box::pin(async move {
            Ok(match handler {
                Some(h) => h(req).await.unwrap_or_else(|e| e.into_response()),
                None => AppError::NotFound("no such route".into()).into_response(),
            })
        })
    }
}

// === impl AppError ===

impl AppError {
    /// The one place errors become HTTP answers.
    pub fn into_response(self) -> Response {
        let status = match &self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Upstream(e) if e.is_timeout() => StatusCode::GATEWAY_TIMEOUT,
            AppError::Upstream(_) => StatusCode::BAD_GATEWAY,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        json(status, &firedrill_control::ErrorReply::new(self.detail()))
    }

    /// The message without its kind prefix, so errors relayed through several hops stay short.
    fn detail(&self) -> String {
        match self {
            AppError::BadRequest(m) | AppError::NotFound(m) | AppError::Conflict(m) | AppError::Unavailable(m) => {
                m.clone()
            }
            AppError::Upstream(e) => e.to_string(),
        }
    }
}

/// A JSON response.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = http::Response::new(Full::new(Bytes::from(bytes)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// A plain-text response with a given content type.
pub fn text(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut resp = http::Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// Parses a JSON request body, answering 400 with serde's reason on failure.
pub fn parse_json<T: serde::de::DeserializeOwned>(req: &Request) -> Result<T, AppError> {
    serde_json::from_slice(&req.body).map_err(|e| AppError::BadRequest(format!("invalid JSON body: {e}")))
}

/// Decodes a dependency's 2xx answer, and carries its 4xx up as ours (a missing product stays
/// a 404 all the way to the edge instead of becoming a 502).
pub fn decode<T: serde::de::DeserializeOwned>(reply: &crate::client::Reply, dependency: &str) -> Result<T, AppError> {
    let reason = || {
        serde_json::from_slice::<serde_json::Value>(&reply.body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_string))
            .unwrap_or_else(|| format!("{dependency} answered {}", reply.status))
    };
    match reply.status.as_u16() {
        200..=299 => serde_json::from_slice(&reply.body).map_err(|e| {
            let reason = format!("undecodable answer: {e}");
            AppError::Upstream(CallError::Transport { dependency: dependency.into(), reason, attempts: reply.attempts })
        }),
        404 => Err(AppError::NotFound(reason())),
        409 => Err(AppError::Conflict(reason())),
        _ => Err(AppError::BadRequest(reason())),
    }
}

/// A path parameter that must be an integer.
pub fn param_u64(req: &Request, name: &str) -> Result<u64, AppError> {
    let raw = req.params.get(name).ok_or_else(|| AppError::BadRequest(format!("missing {name}")))?;
    raw.parse().map_err(|_| AppError::BadRequest(format!("{name} must be a number, got `{raw}`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_bind_segments() {
        let p = match_template("/stock/{id}", "/stock/42").unwrap();
        assert_eq!(p["id"], "42");
        assert!(match_template("/stock/{id}", "/stock/").is_none());
        assert!(match_template("/stock/{id}", "/stock/1/x").is_none());
        assert!(match_template("/reserve", "/reserve").unwrap().is_empty());
    }
}
