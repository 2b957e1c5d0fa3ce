//! The observability backends signals are checked on — Prometheus (PromQL), Jaeger (trace
//! measures), VictoriaLogs (LogsQL) — read over their HTTP query APIs wherever they run: the
//! local lab's processes, a cluster's through kind's port mappings (the `firedrill` CLI), or
//! inside the cluster (the operator, for the debrief's signal times).

pub mod http;
pub mod jaeger;
pub mod prometheus;
pub mod traces;
pub mod victorialogs;

use std::net::{SocketAddr, ToSocketAddrs};

use std::time::Duration;

use firedrill_drill::scenario::{Query, Signal};
use serde::Serialize;

use crate::http::{Http, HttpError};

/// Where each backend answers (`None` = not running).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Backends {
    pub prometheus: Option<SocketAddr>,
    /// Jaeger's query API.
    pub jaeger: Option<SocketAddr>,
    /// VictoriaLogs' HTTP API.
    pub victorialogs: Option<SocketAddr>,
    #[serde(skip)]
    http: Http,
}

pub const NO_PROMETHEUS: &str = "Prometheus is not installed (apt-get install prometheus, or set FIREDRILL_PROMETHEUS)";
/// Upper bound for one signal's query while a drill runs, so a hung backend delays a driver's
/// step by this much at most (and the signal stays pending) instead of stalling the drill.
pub const SIGNAL_QUERY_TIMEOUT: Duration = Duration::from_secs(2);

const NO_JAEGER: &str = "Jaeger is not built (tools/jaeger/ensure.sh, or set FIREDRILL_JAEGER)";
const NO_VICTORIALOGS: &str = "VictoriaLogs is not built (tools/victorialogs/ensure.sh, or set FIREDRILL_VICTORIALOGS)";

impl Backends {
    /// The backends at these addresses (`None`: that one is not running).
    pub fn new(
        prometheus: Option<SocketAddr>,
        jaeger: Option<SocketAddr>,
        victorialogs: Option<SocketAddr>,
    ) -> Backends {
        Backends { prometheus, jaeger, victorialogs, http: Http::default() }
    }

    /// Evaluates every signal's query at once, each bounded by [`SIGNAL_QUERY_TIMEOUT`]: what
    /// a drill driver's host reads for [`firedrill_drill::Host::read`].
    pub async fn read(&self, signals: &[&Signal]) -> Vec<Result<Option<f64>, HttpError>> {
        let reads = signals.iter().map(|s| async move {
            match tokio::time::timeout(SIGNAL_QUERY_TIMEOUT, self.query(&s.query)).await {
                Ok(value) => value,
                Err(_) => Err(HttpError::Timeout { url: s.query.backend_name().into(), timeout: SIGNAL_QUERY_TIMEOUT }),
            }
        });
        futures::future::join_all(reads).await
    }

    /// The address of the backend `query` needs, if it runs.
    pub fn addr(&self, query: &Query) -> Option<SocketAddr> {
        match query {
            Query::Promql(_) => self.prometheus,
            Query::Traces(_) => self.jaeger,
            Query::Logsql(_) => self.victorialogs,
        }
    }

    /// Evaluates a signal's query on its backend: PromQL on Prometheus, trace measures on
    /// Jaeger, LogsQL on VictoriaLogs (`None` without that backend or without data).
    pub async fn query(&self, query: &Query) -> Result<Option<f64>, HttpError> {
        let Some(addr) = self.addr(query) else { return Ok(None) };
        match query {
            Query::Promql(promql) => prometheus::query(&self.http, addr, promql).await,
            Query::Traces(q) => jaeger::measure(&self.http, addr, q).await,
            Query::Logsql(logsql) => victorialogs::query(&self.http, addr, logsql).await,
        }
    }

    /// Why one of `queries` cannot be answered (its backend is not running), if one cannot.
    pub fn missing<'a>(&self, mut queries: impl Iterator<Item = &'a Query>) -> Option<&'static str> {
        let query = queries.find(|q| self.addr(q).is_none())?;
        Some(match query {
            Query::Promql(_) => NO_PROMETHEUS,
            Query::Traces(_) => NO_JAEGER,
            Query::Logsql(_) => NO_VICTORIALOGS,
        })
    }
}

/// Parses `host:port` (`localhost:9090`, `127.0.0.1:9090`) into the first address it names.
pub fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim_start_matches("http://").trim_end_matches('/');
    let mut addrs = text.to_socket_addrs().map_err(|e| format!("`{text}` is not host:port ({e})"))?;
    addrs.next().ok_or_else(|| format!("`{text}` resolves to no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_names_the_first_backend_a_query_lacks() {
        let b = Backends { prometheus: Some("127.0.0.1:1".parse().unwrap()), ..Backends::default() };
        let promql = Query::Promql("up".into());
        let logsql = Query::Logsql("_time:1m | stats count()".into());
        assert_eq!(b.missing([&promql].into_iter()), None);
        assert_eq!(b.missing([&promql, &logsql].into_iter()), Some(NO_VICTORIALOGS));
    }

    #[test]
    fn parse_addr_takes_host_port_and_refuses_the_rest() {
        assert_eq!(parse_addr("127.0.0.1:9090").unwrap(), "127.0.0.1:9090".parse().unwrap());
        assert_eq!(parse_addr("http://127.0.0.1:9428/").unwrap(), "127.0.0.1:9428".parse().unwrap());
        assert!(parse_addr("localhost:16686").unwrap().ip().is_loopback());
        let e = parse_addr("localhost").unwrap_err();
        assert!(e.contains("not host:port"), "{e}");
    }
}
