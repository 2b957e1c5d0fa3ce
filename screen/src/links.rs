//! The debrief's isolating queries as links that open each query in its backend's own UI:
//! Prometheus' graph page, VictoriaLogs' vmui, Jaeger's search. The base URLs are the ones a
//! player's browser reaches (a host may query Prometheus at another address itself).

use firedrill_drill::scenario::{IsolatingQuery, Query};
use serde::Serialize;

/// Where the backends' UIs are, as the players' browsers reach them (`http://host:port`,
/// no trailing slash); `None`: that backend is not reachable, its queries get no link.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendUrls {
    pub prometheus: Option<String>,
    pub jaeger: Option<String>,
    pub victorialogs: Option<String>,
}

/// One isolating query, with the link that runs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryLink {
    /// `Prometheus`, `Jaeger` or `VictoriaLogs`.
    pub backend: &'static str,
    pub why: String,
    /// The query as a player would type it.
    pub text: String,
    pub url: Option<String>,
}

fn enc(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

// === impl BackendUrls ===

impl BackendUrls {
    /// The links for `queries`, in order.
    pub fn links(&self, queries: &[IsolatingQuery]) -> Vec<QueryLink> {
        queries
            .iter()
            .map(|q| QueryLink {
                backend: q.query.backend_name(),
                why: q.why.clone(),
                text: q.query.text().into_owned(),
                url: self.url(&q.query),
            })
            .collect()
    }

    /// The backend UI's URL that runs `query`.
    pub fn url(&self, query: &Query) -> Option<String> {
        match query {
            Query::Promql(q) => {
                let base = self.prometheus.as_deref()?;
                Some(format!("{base}/graph?g0.expr={}&g0.tab=0&g0.range_input=30m", enc(q)))
            }
            // vmui routes in the fragment: its own links look like `/select/vmui/#/?query=...`.
            Query::Logsql(q) => Some(format!("{}/select/vmui/#/?query={}", self.victorialogs.as_deref()?, enc(q))),
            Query::Traces(t) => {
                let base = self.jaeger.as_deref()?;
                let operation = t.operation.as_deref().map(|op| format!("&operation={}", enc(op))).unwrap_or_default();
                Some(format!("{base}/search?service={}{operation}&lookback=1h&limit=20", enc(&t.service)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls() -> BackendUrls {
        BackendUrls {
            prometheus: Some("http://127.0.0.1:9090".into()),
            jaeger: Some("http://127.0.0.1:16686".into()),
            victorialogs: None,
        }
    }

    #[test]
    fn each_query_opens_in_its_backends_ui() {
        let promql = Query::Promql(r#"sum(rate(x{job="api"}[1m]))"#.into());
        assert_eq!(
            urls().url(&promql).unwrap(),
            "http://127.0.0.1:9090/graph?g0.expr=sum%28rate%28x%7Bjob%3D%22api%22%7D%5B1m%5D%29%29&g0.tab=0&g0.range_input=30m"
        );
        let traces: Query = serde_json::from_str(
            r#"{"traces": {"service": "inventory", "measure": "trace-rate", "operation": "GET /stock/{id}"}}"#,
        )
        .unwrap();
        assert_eq!(
            urls().url(&traces).unwrap(),
            "http://127.0.0.1:16686/search?service=inventory&operation=GET+%2Fstock%2F%7Bid%7D&lookback=1h&limit=20"
        );
        let logsql = Query::Logsql("_time:5m error".into());
        assert_eq!(urls().url(&logsql), None, "no VictoriaLogs, no link");
        let with_vl = BackendUrls { victorialogs: Some("http://h:9428".into()), ..urls() };
        assert_eq!(with_vl.url(&logsql).unwrap(), "http://h:9428/select/vmui/#/?query=_time%3A5m+error");
    }
}
