//! The lab's real Prometheus (Debian's `prometheus`, or `FIREDRILL_PROMETHEUS`) answering the
//! range query the game-day screen's timeline plot reads: a series over a window, one point
//! per step, on the wall clock the drill engine counts in.

use std::time::Duration;

use firedrill_backends::prometheus::{Point, query_range};

use super::{Process, free_addr, prometheus};
use crate::http::Http;
use crate::session::now;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_query_returns_one_point_per_step_in_the_window() {
    let binary =
        prometheus::find().expect("Prometheus is missing: apt-get install prometheus (or FIREDRILL_PROMETHEUS)");
    let dir = tempfile::tempdir().unwrap();
    let ledger = super::ledger::Ledger::create(dir.path(), "test").unwrap();
    let addr = free_addr().unwrap();
    // Prometheus scraping itself, every second: a series that exists within a few seconds.
    let jobs = [prometheus::Job { name: "self".into(), targets: vec![addr] }];
    std::fs::write(dir.path().join("prometheus.yml"), prometheus::config(&jobs)).unwrap();
    let args = prometheus::args(dir.path(), addr);
    let log = dir.path().join("prometheus.log");
    let mut process: Process = Process::spawn(&ledger, "prometheus", &binary, &args, &[], log, None).await.unwrap();
    let http = Http::default();
    process.wait_ready(&http, &format!("http://{addr}/-/ready"), Duration::from_secs(30)).await.unwrap();

    let from = now();
    let end = tokio::time::Instant::now() + Duration::from_secs(30);
    let points: Vec<Point> = loop {
        let to = now();
        let points = query_range(&http, addr, r#"up{job="self"}"#, from, to, Duration::from_secs(1)).await.unwrap();
        if points.len() >= 3 {
            break points;
        }
        assert!(tokio::time::Instant::now() < end, "fewer than 3 points of `up` after 30 s: {points:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(points.iter().all(|p| p.value == 1.0), "{points:?}");
    assert!(points.windows(2).all(|w| w[1].at.as_millis() - w[0].at.as_millis() == 1000), "one per step: {points:?}");
    assert!(points[0].at >= from && points.last().unwrap().at <= now(), "inside the window: {points:?}");
    let none = query_range(&http, addr, "no_such_metric", from, now(), Duration::from_secs(1)).await.unwrap();
    assert!(none.is_empty(), "{none:?}");
}
