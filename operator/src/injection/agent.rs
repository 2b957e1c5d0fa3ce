//! The chaos agent's admin API, seen from the operator: `PUT /chaos/faults` to inject or renew,
//! `DELETE /chaos/faults` to revert; and loadgen's `/rate` for the drills' load. One pooled
//! HTTP/1 client; every call has a timeout so one hung pod cannot stall a reconcile.

use std::time::Duration;

use bytes::Bytes;
use firedrill_fault::FaultSet;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use hyper_util::rt::TokioExecutor;

/// Why an agent did not acknowledge.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("unreachable: {0}")]
    Unreachable(String),
    #[error("refused with {status}: {body}")]
    Refused { status: StatusCode, body: String },
}

impl AgentError {
    /// Short label for the delivery metric.
    pub fn label(&self) -> &'static str {
        match self {
            AgentError::Timeout(_) => "timeout",
            AgentError::Unreachable(_) => "unreachable",
            AgentError::Refused { .. } => "refused",
        }
    }
}

/// A client for many agents.
#[derive(Clone)]
pub struct AgentClient {
    http: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl AgentClient {
    pub fn new(timeout: Duration) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(timeout));
        connector.set_nodelay(true);
        let http = Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(connector);
        AgentClient { http, timeout }
    }

    /// Delivers (or renews) `set` at `endpoint` (`ip:port`).
    pub async fn put(&self, endpoint: &str, token: &str, set: &FaultSet) -> Result<(), AgentError> {
        let body = serde_json::to_vec(set).expect("a FaultSet serialises");
        self.call(Method::PUT, endpoint, token, body).await
    }

    /// Reverts every fault at `endpoint`.
    pub async fn delete(&self, endpoint: &str, token: &str) -> Result<(), AgentError> {
        self.call(Method::DELETE, endpoint, token, Vec::new()).await
    }

    /// Sets loadgen's arrival rate and endpoint mix (`product=9,checkout=1`):
    /// `PUT {base}/rate`, `base` like `http://loadgen.firedrill-lab.svc:8090`.
    pub async fn set_load(&self, base: &str, rps: f64, mix: &str) -> Result<(), AgentError> {
        let body = serde_json::to_vec(&serde_json::json!({ "rps": rps, "mix": mix })).expect("plain JSON");
        let request = Request::builder()
            .method(Method::PUT)
            .uri(format!("{base}/rate"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)));
        self.send(request).await
    }

    /// Puts loadgen back to the rate and mix it was started with: `DELETE {base}/rate`.
    pub async fn reset_load(&self, base: &str) -> Result<(), AgentError> {
        self.send(Request::builder().method(Method::DELETE).uri(format!("{base}/rate")).body(Full::default())).await
    }

    async fn call(&self, method: Method, endpoint: &str, token: &str, body: Vec<u8>) -> Result<(), AgentError> {
        let request = Request::builder()
            .method(method)
            .uri(format!("http://{endpoint}/chaos/faults"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)));
        self.send(request).await
    }

    async fn send(&self, request: http::Result<Request<Full<Bytes>>>) -> Result<(), AgentError> {
        let request = request.map_err(|e| AgentError::Unreachable(e.to_string()))?;
        let call = async {
            let response = self.http.request(request).await.map_err(|e| AgentError::Unreachable(error_chain(&e)))?;
            let status = response.status();
            let body = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            if status.is_success() {
                Ok(())
            } else {
                let body = String::from_utf8_lossy(&body).chars().take(300).collect();
                Err(AgentError::Refused { status, body })
            }
        };
        tokio::time::timeout(self.timeout, call).await.map_err(|_| AgentError::Timeout(self.timeout))?
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
