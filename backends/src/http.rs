//! A small HTTP/1.1 client for the backends' query APIs, and for the CLI's lab endpoints
//! (readiness, admin API, loadgen control, the supervisor's control API).

use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Why a call to a lab endpoint failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{url}: {reason}")]
    Transport { url: String, reason: String },
    #[error("{url}: timed out after {0:?}", .timeout)]
    Timeout { url: String, timeout: Duration },
    #[error("{url}: answered {status}: {body}")]
    Status { url: String, status: StatusCode, body: String },
}

/// A shared client; cheap to clone.
#[derive(Clone, Debug)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Default for Http {
    fn default() -> Self {
        Http { client: Client::builder(TokioExecutor::new()).build(HttpConnector::new()) }
    }
}

impl Http {
    /// Sends a request and returns the body of a 2xx answer.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> Result<Bytes, HttpError> {
        let mut req = http::Request::builder().method(method).uri(url);
        if let Some(token) = token {
            req = req.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if body.is_some() {
            req = req.header(http::header::CONTENT_TYPE, "application/json");
        }
        let transport = |reason: String| HttpError::Transport { url: url.to_string(), reason };
        let req = req.body(Full::new(Bytes::from(body.unwrap_or_default()))).map_err(|e| transport(e.to_string()))?;
        let timeout = Duration::from_secs(10);
        let exchange = async {
            let resp = self.client.request(req).await.map_err(|e| transport(e.to_string()))?;
            let status = resp.status();
            let bytes = resp.into_body().collect().await.map_err(|e| transport(e.to_string()))?.to_bytes();
            Ok::<_, HttpError>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| HttpError::Timeout { url: url.to_string(), timeout })??;
        if !status.is_success() {
            let body = String::from_utf8_lossy(&bytes).into_owned();
            return Err(HttpError::Status { url: url.to_string(), status, body });
        }
        Ok(bytes)
    }

    pub async fn get(&self, url: &str) -> Result<Bytes, HttpError> {
        self.send(Method::GET, url, None, None).await
    }

    /// GET and decode JSON.
    pub async fn get_json(&self, url: &str) -> Result<serde_json::Value, HttpError> {
        let bytes = self.get(url).await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| HttpError::Transport { url: url.to_string(), reason: format!("not JSON: {e}") })
    }
}
