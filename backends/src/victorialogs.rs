//! VictoriaLogs' LogsQL stats API (`GET /select/logsql/stats_query`).

use std::net::SocketAddr;

use crate::http::{Http, HttpError};

/// Evaluates a LogsQL stats query now; `None` when it has no finite value (no lines, NaN).
/// More than one series is an error: a signal compares one number.
pub async fn query(http: &Http, addr: SocketAddr, logsql: &str) -> Result<Option<f64>, HttpError> {
    let url = query_url(addr, logsql);
    let body = http.get_json(&url).await?;
    let series = body["data"]["result"].as_array().map_or(0, Vec::len);
    if series > 1 {
        let reason = format!(
            "the LogsQL stats query returned {series} series; expected one number (keep one with `| fields <name>`)"
        );
        return Err(HttpError::Transport { url, reason });
    }
    Ok(crate::prometheus::first_sample(&body))
}

fn query_url(addr: SocketAddr, logsql: &str) -> String {
    let q: String = form_urlencoded::byte_serialize(logsql.as_bytes()).collect();
    format!("http://{addr}/select/logsql/stats_query?query={q}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_url_encodes_the_whole_query() {
        let url = query_url("127.0.0.1:9".parse().unwrap(), r#"_time:1m "upstream timeout" | stats count()"#);
        assert_eq!(
            url,
            "http://127.0.0.1:9/select/logsql/stats_query?query=_time%3A1m+%22upstream+timeout%22+%7C+stats+count%28%29"
        );
    }
}
