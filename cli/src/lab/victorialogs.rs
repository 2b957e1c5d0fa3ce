//! Real VictoriaLogs for the local lab: the single `victoria-logs` binary (built by
//! tools/victorialogs/ensure.sh) taking the services' OTLP logs on loopback into filesystem
//! storage, so the lab's logs land where players look and log signals (LogsQL stats queries)
//! are checked on them. It stands in for Loki, which is AGPL-licensed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::ledger::Ledger;
use super::{LabError, Process, free_addr, tools};
use crate::http::Http;

/// The pinned version, as in tools/victorialogs/versions.env (a test keeps the two in step);
/// the cache path carries it.
const VERSION: &str = "v1.52.1";
const READY_WITHIN: Duration = Duration::from_secs(30);
/// The memory VictoriaLogs may use for its caches; its default (60 % of the machine) would let
/// a lab on a big machine look heavier than it is.
const ALLOWED_MEMORY: &str = "256MiB";

/// Starts `binary` with its data in `dir` and waits until it answers.
pub async fn start(
    ledger: &Ledger,
    binary: &Path,
    dir: &Path,
    log: PathBuf,
    http: &Http,
) -> Result<(Process, SocketAddr), LabError> {
    let io = LabError::io;
    let addr = free_addr().map_err(io("finding a free port"))?;
    std::fs::create_dir_all(dir).map_err(io("creating the VictoriaLogs directory"))?;
    let mut process = Process::spawn(ledger, "victoria-logs", binary, &args(dir, addr), &[], log, None).await?;
    process.wait_ready(http, &format!("http://{addr}/health"), READY_WITHIN).await?;
    Ok((process, addr))
}

/// Where the VictoriaLogs binary is: `FIREDRILL_VICTORIALOGS`, else the tools cache, else
/// `victoria-logs` on PATH.
pub fn find() -> Option<PathBuf> {
    tools::find("FIREDRILL_VICTORIALOGS", "victoria-logs", Some(VERSION))
}

/// Command-line arguments: one loopback listener, data under `dir`, a day's retention.
pub fn args(dir: &Path, addr: SocketAddr) -> Vec<String> {
    vec![
        format!("-httpListenAddr={addr}"),
        format!("-storageDataPath={}", dir.join("data").display()),
        "-retentionPeriod=1d".into(),
        format!("-memory.allowedBytes={ALLOWED_MEMORY}"),
        "-loggerLevel=WARN".into(),
    ]
}

/// The OTLP/HTTP logs URL services export to (`OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`).
pub fn otlp_logs_url(addr: SocketAddr) -> String {
    format!("http://{addr}/insert/opentelemetry/v1/logs")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pinned_version_matches_versions_env() {
        let env = include_str!("../../../tools/victorialogs/versions.env");
        assert!(env.lines().any(|l| l == format!("VICTORIALOGS_VERSION={VERSION}")), "bump both: {env}");
    }

    #[test]
    fn args_bind_only_the_given_loopback_address() {
        let args = args(Path::new("/x"), "127.0.0.1:7".parse().unwrap());
        let listeners: Vec<&String> = args.iter().filter(|a| a.contains("ListenAddr")).collect();
        assert_eq!(listeners, ["-httpListenAddr=127.0.0.1:7"]);
        assert!(args.contains(&"-storageDataPath=/x/data".to_string()), "{args:?}");
    }
}
