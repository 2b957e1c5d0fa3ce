//! Prometheus' query APIs: instant queries (`GET /api/v1/query`) for the signals, range
//! queries (`GET /api/v1/query_range`) for the debrief's timeline plot.

use std::net::SocketAddr;
use std::time::Duration;

use firedrill_drill::Timestamp;

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

/// One point of a range query: when (ms since the UNIX epoch) and the value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub at: Timestamp,
    pub value: f64,
}

/// Evaluates `promql` over `[from, to]` every `step` (at least a second); the first series'
/// finite points, oldest first (empty when there is no data). The timestamps are wall-clock
/// milliseconds since the UNIX epoch, as the local lab and the operator count drill time.
pub async fn query_range(
    http: &Http,
    addr: SocketAddr,
    promql: &str,
    from: Timestamp,
    to: Timestamp,
    step: Duration,
) -> Result<Vec<Point>, HttpError> {
    let q: String = form_urlencoded::byte_serialize(promql.as_bytes()).collect();
    let secs = |t: Timestamp| format!("{:.3}", t.as_millis() as f64 / 1000.0);
    let step = step.as_secs().max(1);
    let url = format!("http://{addr}/api/v1/query_range?query={q}&start={}&end={}&step={step}", secs(from), secs(to));
    Ok(first_series(&http.get_json(&url).await?))
}

/// The first series of a range-query answer (`resultType: matrix`), non-finite values dropped.
pub fn first_series(body: &serde_json::Value) -> Vec<Point> {
    let values = body["data"]["result"].as_array().and_then(|r| r.first()).and_then(|s| s["values"].as_array());
    let point = |v: &serde_json::Value| {
        let at = v[0].as_f64()?;
        let value = v[1].as_str()?.parse::<f64>().ok().filter(|v| v.is_finite())?;
        Some(Point { at: Timestamp((at * 1000.0).round() as u64), value })
    };
    values.map(|vs| vs.iter().filter_map(point).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_series_reads_a_matrix_and_drops_what_is_not_a_number() {
        let body = serde_json::json!({"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{},"values":[[1700000000.5,"0.25"],[1700000001.5,"NaN"],[1700000002.5,"0.5"]]},
            {"metric":{"x":"y"},"values":[[1700000000.5,"9"]]}
        ]}});
        let points = first_series(&body);
        assert_eq!(
            points,
            [
                Point { at: Timestamp(1_700_000_000_500), value: 0.25 },
                Point { at: Timestamp(1_700_000_002_500), value: 0.5 }
            ]
        );
        assert!(first_series(&serde_json::json!({"data":{"result":[]}})).is_empty());
    }
}
