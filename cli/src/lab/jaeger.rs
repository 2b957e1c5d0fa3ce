//! Real Jaeger for the local lab: the Jaeger v2 single binary (built by tools/jaeger/ensure.sh),
//! configured to take OTLP/HTTP on loopback into in-memory storage and answer its query API,
//! so the lab's traces land where players look and trace signals are checked on them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use http::Method;

use super::ledger::Ledger;
use super::{LabError, Process, free_addr, tools};
use crate::http::{Http, HttpError};

/// The pinned version, as in tools/jaeger/versions.env (a test keeps the two in step); the
/// cache path carries it.
const VERSION: &str = "v1.76.0";

const READY_WITHIN: Duration = Duration::from_secs(30);
/// Traces kept in memory: about three minutes of a drill's traffic at 60 requests/s, which
/// holds every signal's window; Jaeger's resident memory plateaus near 650 MiB at 20 000.
const MAX_TRACES: u32 = 10_000;

/// Where a running Jaeger listens.
#[derive(Debug, Clone, Copy)]
pub struct Addrs {
    /// OTLP/HTTP receiver (services append `/v1/traces`).
    pub otlp: SocketAddr,
    /// Query API and UI.
    pub query: SocketAddr,
    /// Query gRPC API (unused by the lab, but it must not take Jaeger's default port).
    pub query_grpc: SocketAddr,
}

/// Starts `binary` with its config in `dir` and waits until it takes spans.
pub async fn start(
    ledger: &Ledger,
    binary: &Path,
    dir: &Path,
    log: PathBuf,
    http: &Http,
) -> Result<(Process, Addrs), LabError> {
    let io = LabError::io;
    let port = || free_addr().map_err(io("finding a free port"));
    let addrs = Addrs { otlp: port()?, query: port()?, query_grpc: port()? };
    std::fs::create_dir_all(dir).map_err(io("creating the Jaeger directory"))?;
    let file = dir.join("jaeger.yaml");
    std::fs::write(&file, config(&addrs)).map_err(io("writing jaeger.yaml"))?;
    let mut process = Process::spawn(ledger, "jaeger", binary, &args(&file), &[], log, None).await?;
    let services = format!("http://{}/api/services", addrs.query);
    process.wait_ready(http, &services, READY_WITHIN).await?;
    wait_receiving(http, &addrs, READY_WITHIN).await?;
    Ok((process, addrs))
}

/// What a Jaeger built without its UI assets serves at `/` instead of the UI (the Go module
/// has none: they are built from jaeger-ui with npm and embedded only in official releases).
const UI_PLACEHOLDER: &str = "not compiled with the UI assets";

/// Whether the Jaeger at `query` serves its web UI: an official release does, a build from
/// the Go module serves a placeholder page that says so. A Jaeger that does not answer `/`
/// with HTML has no UI either.
pub async fn serves_ui(http: &Http, query: SocketAddr) -> bool {
    match http.get(&format!("http://{query}/")).await {
        Ok(body) => is_ui(&String::from_utf8_lossy(&body)),
        Err(_) => false,
    }
}

/// The test of [`serves_ui`] on the body of `/`.
fn is_ui(body: &str) -> bool {
    body.contains("<html") && !body.contains(UI_PLACEHOLDER)
}

/// Where the Jaeger binary is: `FIREDRILL_JAEGER`, else the tools cache, else `jaeger` on PATH.
pub fn find() -> Option<PathBuf> {
    tools::find("FIREDRILL_JAEGER", "jaeger", Some(VERSION))
}

/// The collector-style configuration: OTLP/HTTP in (no gRPC receiver), memory storage, query
/// API; no self-telemetry endpoint, so nothing listens beyond `addrs`.
pub fn config(addrs: &Addrs) -> String {
    format!(
        "service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      lab_store:
        memory:
          max_traces: {MAX_TRACES}
  jaeger_query:
    storage:
      traces: lab_store
    http:
      endpoint: {query}
    grpc:
      endpoint: {grpc}
receivers:
  otlp:
    protocols:
      http:
        endpoint: {otlp}
processors:
  batch:
exporters:
  jaeger_storage_exporter:
    trace_storage: lab_store
",
        query = addrs.query,
        grpc = addrs.query_grpc,
        otlp = addrs.otlp,
    )
}

/// Command-line arguments for the config at `file`.
pub fn args(file: &Path) -> Vec<String> {
    vec!["--config".into(), file.display().to_string()]
}

/// The OTLP/HTTP traces URL services export to (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`).
pub fn otlp_traces_url(addrs: &Addrs) -> String {
    format!("http://{}/v1/traces", addrs.otlp)
}

/// Waits until the OTLP receiver accepts an (empty) export: the query API comes up first, the
/// receiver last, and spans sent before it would be lost.
async fn wait_receiving(http: &Http, addrs: &Addrs, within: Duration) -> Result<(), HttpError> {
    let url = format!("http://{}/v1/traces", addrs.otlp);
    let end = tokio::time::Instant::now() + within;
    loop {
        match http.send(Method::POST, &url, None, Some("{}".into())).await {
            Ok(_) => return Ok(()),
            Err(e) if tokio::time::Instant::now() >= end => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pinned_version_matches_versions_env() {
        let env = include_str!("../../../tools/jaeger/versions.env");
        assert!(env.lines().any(|l| l == format!("JAEGER_VERSION={VERSION}")), "bump both: {env}");
    }

    #[test]
    fn config_binds_only_the_given_loopback_addresses() {
        let addrs = Addrs {
            otlp: "127.0.0.1:1".parse().unwrap(),
            query: "127.0.0.1:2".parse().unwrap(),
            query_grpc: "127.0.0.1:3".parse().unwrap(),
        };
        let text = config(&addrs);
        let endpoints: Vec<&str> = text.lines().filter_map(|l| l.trim().strip_prefix("endpoint: ")).collect();
        assert_eq!(endpoints, ["127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:1"]);
        assert!(text.contains("level: none"), "no self-metrics listener on :8888");
        assert!(!text.contains("grpc:\n        endpoint"), "no OTLP gRPC receiver");
    }

    /// An official release's `/` is jaeger-ui's index.html. No official binary can be fetched
    /// here, so this is the page's shape (its root element and title), not a real one; the
    /// module build's placeholder is checked for real in `jaeger_tests`.
    #[test]
    fn the_ui_is_told_from_the_placeholder() {
        let official = r#"<!doctype html><html lang="en"><head><title>Jaeger UI</title></head>
            <body><div id="jaeger-ui-root"></div></body></html>"#;
        assert!(super::is_ui(official));
        let placeholder = r#"<!DOCTYPE html><html lang="en"><title>Test Page</title><body>
            <h1>This is not the Jaeger UI you are looking for!</h1>
            <p>If you are seeing this, you are running a binary that was not compiled with the UI assets.</p>"#;
        assert!(!super::is_ui(placeholder));
        assert!(!super::is_ui("404 page not found"));
    }
}
