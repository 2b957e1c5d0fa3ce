//! JSON over pooled HTTP/1: the one client behind [`crate::AdminClient`],
//! [`crate::LoadgenClient`] and the CLI's supervisor calls. Every call, connect to last body
//! byte, is bounded by the client's timeout, so one hung peer cannot stall a caller.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The body of every refusal the lab's APIs send (4xx/5xx): `{"error": "..."}`, plus the
/// field path and reason when a fault document was refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorReply {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ErrorReply {
    pub fn new(error: impl Into<String>) -> Self {
        ErrorReply { error: error.into(), path: None, reason: None }
    }
}

/// Why a call got no acceptable answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{url}: no answer within {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    #[error("{url}: unreachable: {reason}")]
    Unreachable { url: String, reason: String },
    /// The peer answered, but not with success; `message` is its `error` field when it sent
    /// an [`ErrorReply`], else the start of its body.
    #[error("{url}: refused with {status}: {message}")]
    Refused { url: String, status: StatusCode, message: String, reply: Option<Box<ErrorReply>> },
    #[error("{url}: undecodable answer: {reason}")]
    Undecodable { url: String, reason: String },
}

impl ClientError {
    /// Short label for delivery metrics.
    pub fn label(&self) -> &'static str {
        match self {
            ClientError::Timeout { .. } => "timeout",
            ClientError::Unreachable { .. } => "unreachable",
            ClientError::Refused { .. } => "refused",
            ClientError::Undecodable { .. } => "undecodable",
        }
    }

    /// The refusal's status, if the peer answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A pooled client; cheap to clone.
#[derive(Clone, Debug)]
pub struct Client {
    http: hyper_util::client::legacy::Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl Client {
    /// A client whose every call is bounded by `timeout`.
    pub fn new(timeout: Duration) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(timeout));
        connector.set_nodelay(true);
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Client { http, timeout }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends `body` (as JSON, if any) and decodes a 2xx answer as `Rep`.
    pub async fn call<Req: Serialize + ?Sized, Rep: DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        token: Option<&str>,
        body: Option<&Req>,
    ) -> Result<Rep, ClientError> {
        let bytes = self.exchange(method, url, token, body).await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ClientError::Undecodable { url: url.to_string(), reason: e.to_string() })
    }

    async fn exchange<Req: Serialize + ?Sized>(
        &self,
        method: Method,
        url: &str,
        token: Option<&str>,
        body: Option<&Req>,
    ) -> Result<Bytes, ClientError> {
        let unreachable = |reason: String| ClientError::Unreachable { url: url.to_string(), reason };
        let mut request = http::Request::builder().method(method).uri(url);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let payload = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                serde_json::to_vec(body).map_err(|e| unreachable(format!("cannot encode the request: {e}")))?
            }
            None => Vec::new(),
        };
        let request = request.body(Full::new(Bytes::from(payload))).map_err(|e| unreachable(e.to_string()))?;
        let exchange = async {
            let response = self.http.request(request).await.map_err(|e| unreachable(error_chain(&e)))?;
            let status = response.status();
            let bytes = response.into_body().collect().await.map_err(|e| unreachable(error_chain(&e)))?.to_bytes();
            Ok::<_, ClientError>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| ClientError::Timeout { url: url.to_string(), timeout: self.timeout })??;
        if status.is_success() {
            return Ok(bytes);
        }
        let reply = serde_json::from_slice::<ErrorReply>(&bytes).ok().map(Box::new);
        let message = match &reply {
            Some(r) => r.error.clone(),
            None => String::from_utf8_lossy(&bytes).chars().take(300).collect(),
        };
        Err(ClientError::Refused { url: url.to_string(), status, message, reply })
    }
}

/// An error and its sources in one line: hyper-util's errors hide the cause (e.g.
/// "connection refused") one level down.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    //! Against raw sockets, so each failure is exactly the one named.

    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// Answers every connection with `response` once it has read a request head.
    async fn canned(response: &'static str) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(response.as_bytes()).await;
            }
        });
        format!("http://{addr}/x")
    }

    fn reply(status: &str, body: &str) -> &'static str {
        let text = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
        Box::leak(text.into_boxed_str())
    }

    async fn get(client: &Client, url: &str) -> Result<serde_json::Value, ClientError> {
        client.call::<(), _>(Method::GET, url, None, None).await
    }

    #[tokio::test]
    async fn a_refusal_carries_the_peers_reason() {
        let url = canned(reply("400 Bad Request", r#"{"error":"no","path":"faults[0].status"}"#)).await;
        let e = get(&Client::new(Duration::from_secs(5)), &url).await.unwrap_err();
        assert_eq!((e.label(), e.status()), ("refused", Some(StatusCode::BAD_REQUEST)));
        let ClientError::Refused { message, reply, .. } = e else { unreachable!() };
        assert_eq!(message, "no");
        assert_eq!(reply.and_then(|r| r.path).as_deref(), Some("faults[0].status"));
    }

    #[tokio::test]
    async fn a_silent_peer_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        let e = get(&Client::new(Duration::from_millis(200)), &url).await.unwrap_err();
        assert_eq!(e.label(), "timeout", "{e}");
        drop(listener);
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable_and_garbage_undecodable() {
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
        let client = Client::new(Duration::from_secs(5));
        let e = get(&client, &format!("http://{closed}/x")).await.unwrap_err();
        assert_eq!(e.label(), "unreachable", "{e}");
        let url = canned(reply("200 OK", "not json")).await;
        assert_eq!(get(&client, &url).await.unwrap_err().label(), "undecodable");
    }
}
