//! An in-test OTLP/HTTP traces receiver: a hyper server on `127.0.0.1:0` that decodes
//! `ExportTraceServiceRequest` protobufs and keeps every span, so tests assert on what a real
//! collector would have received rather than on the runtime's internals.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use prost::Message;
use tokio::net::TcpListener;

/// One received span, flattened.
#[derive(Debug, Clone)]
pub struct Got {
    /// `service.name` of the exporting resource.
    pub service: String,
    pub trace_id: String,
    pub span_id: String,
    /// Empty for a root span.
    pub parent_span_id: String,
    pub name: String,
    /// OTLP span kind: 1 internal, 2 server, 3 client.
    pub kind: i32,
    pub attributes: HashMap<String, String>,
}

impl Got {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

pub const SERVER: i32 = 2;
pub const CLIENT: i32 = 3;

/// The receiver; its spans are shared with the serving task.
pub struct Receiver {
    pub addr: SocketAddr,
    spans: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind OTLP receiver");
        let addr = listener.local_addr().expect("receiver address");
        let spans = Arc::new(Mutex::new(Vec::new()));
        let store = spans.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                let svc = service_fn(move |req| receive(store.clone(), req));
                tokio::spawn(async move {
                    let conn = hyper::server::conn::http1::Builder::new();
                    let _ = conn.serve_connection(TokioIo::new(stream), svc).await;
                });
            }
        });
        Receiver { addr, spans }
    }

    /// The URL to configure as a service's traces endpoint.
    pub fn url(&self) -> String {
        format!("http://{}/v1/traces", self.addr)
    }

    pub fn spans(&self) -> Vec<Got> {
        self.spans.lock().expect("spans lock").clone()
    }

    /// Received spans in `trace_id`.
    pub fn trace(&self, trace_id: &str) -> Vec<Got> {
        self.spans().into_iter().filter(|s| s.trace_id == trace_id).collect()
    }
}

async fn receive(
    store: Arc<Mutex<Vec<Got>>>,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, hyper::Error> {
    let ok = req.method() == hyper::Method::POST && req.uri().path() == "/v1/traces";
    let body = req.into_body().collect().await?.to_bytes();
    let decoded = ok.then(|| ExportTraceServiceRequest::decode(body)).and_then(Result::ok);
    let Some(export) = decoded else {
        let mut resp = hyper::Response::new(Full::new(Bytes::from_static(b"not an OTLP trace export")));
        *resp.status_mut() = hyper::StatusCode::BAD_REQUEST;
        return Ok(resp);
    };
    store.lock().expect("spans lock").extend(flatten(export));
    let body = ExportTraceServiceResponse::default().encode_to_vec();
    let mut resp = hyper::Response::new(Full::new(Bytes::from(body)));
    resp.headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/x-protobuf"));
    Ok(resp)
}

fn flatten(export: ExportTraceServiceRequest) -> Vec<Got> {
    let mut out = Vec::new();
    for rs in export.resource_spans {
        let resource = rs.resource.map(|r| attributes(&r.attributes)).unwrap_or_default();
        let service = resource.get("service.name").cloned().unwrap_or_default();
        for span in rs.scope_spans.into_iter().flat_map(|s| s.spans) {
            out.push(Got {
                service: service.clone(),
                trace_id: hex(&span.trace_id),
                span_id: hex(&span.span_id),
                parent_span_id: hex(&span.parent_span_id),
                name: span.name,
                kind: span.kind,
                attributes: attributes(&span.attributes),
            });
        }
    }
    out
}

fn attributes(kvs: &[KeyValue]) -> HashMap<String, String> {
    kvs.iter().map(|kv| (kv.key.clone(), kv.value.as_ref().map(text).unwrap_or_default())).collect()
}

fn text(v: &AnyValue) -> String {
    match &v.value {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        other => format!("{other:?}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
