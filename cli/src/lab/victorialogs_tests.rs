//! A real VictoriaLogs (tools/victorialogs/ensure.sh) fed by two in-process runtime services,
//! inventory → warehouse, exporting logs over OTLP/HTTP: the LogsQL signals the scenarios use
//! read what a timing-out dependency and a `log-delay` fault really do to the logs players see.

use std::net::SocketAddr;
use std::time::Duration;

use super::test_services::{Export, inject, services, traffic};
use super::{Process, victorialogs};
use crate::http::Http;

const TIMEOUTS: &str =
    r#"_time:1m service.name:=inventory "upstream timeout" dependency:=warehouse | stats count() as lines"#;
const LAG: &str = "_time:5m service.name:=inventory | stats max(_time) as newest \
                   | math (now() - newest) / 1e9 as lag_seconds | fields lag_seconds";

fn binary() -> std::path::PathBuf {
    victorialogs::find()
        .expect("VictoriaLogs is missing; run `tools/victorialogs/ensure.sh` to build it (under a minute)")
}

/// Sends traffic until `logsql` satisfies `ok`, or panics after 30 s with the last value.
async fn until(http: &Http, vl: SocketAddr, inventory: SocketAddr, logsql: &str, ok: impl Fn(f64) -> bool) -> f64 {
    let end = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut last = None;
    while tokio::time::Instant::now() < end {
        traffic(http, inventory, 5).await;
        last = firedrill_backends::victorialogs::query(http, vl, logsql).await.expect("VictoriaLogs answers");
        if let Some(v) = last.filter(|v| ok(*v)) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{logsql} never reached the expected value; last {last:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_and_log_delay_show_in_the_log_signals() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = super::ledger::Ledger::create(dir.path(), "test").unwrap();
    let http = Http::default();
    let (process, vl): (Process, _) =
        victorialogs::start(&ledger, &binary(), dir.path(), dir.path().join("vl.log"), &http).await.unwrap();
    let export = Export::logs(victorialogs::otlp_logs_url(vl));
    let (inventory, warehouse) = services(export, Duration::from_millis(200)).await;

    // Baseline: lines arrive within a few seconds, none of them timeouts.
    let lag = until(&http, vl, inventory.addr, LAG, |v| v < 5.0).await;
    assert!(lag >= 0.0, "{lag}");
    assert_eq!(firedrill_backends::victorialogs::query(&http, vl, TIMEOUTS).await.unwrap(), Some(0.0));

    // warehouse slower than inventory's attempt timeout: inventory logs each timeout, with
    // the dependency as a field the query filters on.
    inject(&http, &warehouse, r#"[{"kind":"latency","delayMs":500}]"#).await;
    until(&http, vl, inventory.addr, TIMEOUTS, |v| v >= 3.0).await;

    // inventory's lines held back 8 s: the newest line players can see is that old.
    inject(&http, &inventory, r#"[{"kind":"log-delay","delaySeconds":8}]"#).await;
    let lag = until(&http, vl, inventory.addr, LAG, |v| v >= 7.0).await;
    assert!(lag < 20.0, "held 8 s, newest line is {lag} s old");

    // A query with two numbers is refused, not half-read.
    let two = "_time:5m service.name:=inventory | stats count() as a, count() as b";
    let e = firedrill_backends::victorialogs::query(&http, vl, two).await.unwrap_err().to_string();
    assert!(e.contains("returned 2 series; expected one number"), "{e}");

    inventory.stop().await;
    warehouse.stop().await;
    process.stop(Duration::from_secs(5)).await;
}
