//! Prometheus' instant-query API (`GET /api/v1/query`).

use std::net::SocketAddr;

use crate::http::{Http, HttpError};

/// Evaluates an instant query; `None` when the result is empty (no data is not a signal).
pub async fn query(http: &Http, addr: SocketAddr, promql: &str) -> Result<Option<f64>, HttpError> {
    let q: String = form_urlencoded::byte_serialize(promql.as_bytes()).collect();
    let url = format!("http://{addr}/api/v1/query?query={q}");
    Ok(first_sample(&http.get_json(&url).await?))
}

/// The first sample's value of an instant-query answer in Prometheus' format (which
/// VictoriaLogs' stats queries share); `None` when there is none or it is not finite.
pub fn first_sample(body: &serde_json::Value) -> Option<f64> {
    let sample = body["data"]["result"].as_array().and_then(|r| r.first()).map(|s| s["value"][1].clone());
    sample.and_then(|v| v.as_str().and_then(|s| s.parse::<f64>().ok())).filter(|v| v.is_finite())
}
