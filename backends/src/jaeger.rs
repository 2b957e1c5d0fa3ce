//! Jaeger's query API (`GET /api/traces`, `GET /api/services`): trace signals are measured on
//! the most recent traces through a service.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use firedrill_drill::scenario::TraceQuery;

use crate::http::{Http, HttpError};
use crate::traces;

/// The most recent traces one query looks at; enough for a ratio, small enough to fetch every
/// poll while the lab is under load.
const FETCH_LIMIT: u32 = 200;
/// How old a trace must be before it is judged: the longest lab request (a 3 s client deadline)
/// plus a service's export interval (1 s) and Jaeger's batching, rounded up.
const SETTLE: Duration = Duration::from_secs(5);

/// The services Jaeger has seen spans from.
pub async fn services(http: &Http, query: SocketAddr) -> Result<Vec<String>, HttpError> {
    let body = http.get_json(&format!("http://{query}/api/services")).await?;
    let names = body["data"].as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect());
    Ok(names.unwrap_or_default())
}

/// The most recent traces through `q.service` (and `q.operation`) over its lookback.
pub async fn fetch(http: &Http, query: SocketAddr, q: &TraceQuery) -> Result<Vec<traces::Trace>, HttpError> {
    let url = search_url(query, q, SystemTime::now());
    let body = http.get(&url).await?;
    traces::parse(&body).map_err(|e| HttpError::Transport { url, reason: format!("not Jaeger's trace JSON: {e}") })
}

/// Computes a trace signal's value (`None` = no data).
pub async fn measure(http: &Http, query: SocketAddr, q: &TraceQuery) -> Result<Option<f64>, HttpError> {
    Ok(traces::measure(q, &fetch(http, query, q).await?))
}

/// `GET /api/traces` for `q` at `now` (`start`/`end` are microseconds since the epoch). The
/// window ends `SETTLE` before `now`, so traces still being exported are not judged.
fn search_url(query: SocketAddr, q: &TraceQuery, now: SystemTime) -> String {
    let end = now.duration_since(UNIX_EPOCH).unwrap_or_default().saturating_sub(SETTLE);
    let start = end.saturating_sub(Duration::from_secs(q.lookback_seconds.into()));
    let mut url = format!(
        "http://{query}/api/traces?service={}&start={}&end={}&limit={FETCH_LIMIT}",
        encode(&q.service),
        start.as_micros(),
        end.as_micros()
    );
    if let Some(op) = &q.operation {
        url.push_str(&format!("&operation={}", encode(op)));
    }
    url
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use firedrill_drill::scenario::TraceMeasure;

    #[test]
    fn search_url_covers_the_lookback_in_microseconds() {
        let q = TraceQuery {
            service: "inventory".into(),
            measure: TraceMeasure::SpanRatio,
            child: Some("warehouse".into()),
            operation: Some("GET /stock/{id}".into()),
            lookback_seconds: 30,
        };
        let now = UNIX_EPOCH + Duration::from_secs(105);
        let url = search_url("127.0.0.1:9".parse().unwrap(), &q, now);
        assert_eq!(
            url,
            "http://127.0.0.1:9/api/traces?service=inventory&start=70000000&end=100000000&limit=200&operation=GET+%2Fstock%2F%7Bid%7D"
        );
    }
}
