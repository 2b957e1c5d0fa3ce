//! Real Prometheus for the local lab: found on PATH (Debian/Ubuntu package `prometheus`),
//! configured to scrape every lab process each second, queried over its HTTP API.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// One scrape job: a service and its replicas' addresses.
pub struct Job {
    pub name: String,
    pub targets: Vec<SocketAddr>,
}

/// Where the Prometheus binary is, if installed: `FIREDRILL_PROMETHEUS`, else PATH.
pub fn find() -> Option<PathBuf> {
    super::tools::find("FIREDRILL_PROMETHEUS", "prometheus", None)
}

/// The scrape configuration for `jobs`.
pub fn config(jobs: &[Job]) -> String {
    let mut out = String::from("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n");
    for job in jobs {
        let targets: Vec<String> = job.targets.iter().map(|t| format!("'{t}'")).collect();
        let _ = writeln!(
            out,
            "  - job_name: '{}'\n    static_configs:\n      - targets: [{}]",
            job.name,
            targets.join(", ")
        );
    }
    out
}

/// Command-line arguments for a lab Prometheus in `dir` listening on `addr`.
pub fn args(dir: &Path, addr: SocketAddr) -> Vec<String> {
    vec![
        format!("--config.file={}", dir.join("prometheus.yml").display()),
        format!("--storage.tsdb.path={}", dir.join("tsdb").display()),
        format!("--web.listen-address={addr}"),
        "--storage.tsdb.retention.time=6h".into(),
        "--enable-feature=exemplar-storage".into(),
        "--log.level=warn".into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_lists_every_replica() {
        let jobs = [Job {
            name: "inventory".into(),
            targets: vec!["127.0.0.1:1".parse().unwrap(), "127.0.0.1:2".parse().unwrap()],
        }];
        let text = config(&jobs);
        assert!(text.contains("job_name: 'inventory'"));
        assert!(text.contains("targets: ['127.0.0.1:1', '127.0.0.1:2']"), "{text}");
    }
}
