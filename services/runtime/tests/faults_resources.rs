//! `cpu` and `memory` faults, proved through the process metrics players read
//! (`process_cpu_seconds_total`, `process_resident_memory_bytes`).
//!
//! Those metrics describe the whole test process, so the tests in this binary take turns.

mod support;

use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::json;
use support::{Node, Setup, eventually, leaf};
use tokio::sync::Mutex;

/// One test at a time: the process metrics are shared by every service in this binary.
static PROCESS: Mutex<()> = Mutex::const_new(());

async fn cpu_seconds(node: &Node) -> f64 {
    node.metrics().await.value("process_cpu_seconds_total", &[]).expect("process_cpu_seconds_total")
}

async fn rss(node: &Node) -> f64 {
    node.metrics().await.value("process_resident_memory_bytes", &[]).expect("process_resident_memory_bytes")
}

async fn hit(node: &Node, n: usize) {
    for i in 0..n {
        assert_eq!(node.get(&format!("/x/{i}")).await.status, StatusCode::OK);
    }
}

/// CPU seconds per wall second that one spinning thread of this process gets right now: 1 on
/// a quiet machine, less when other processes compete. The fault spins for wall time, so on a
/// busy machine it too burns only this share (see the report in the test below).
async fn spin_share(node: &Node) -> f64 {
    let wall = Duration::from_millis(300);
    let before = cpu_seconds(node).await;
    tokio::task::spawn_blocking(move || {
        let began = Instant::now();
        let mut x = 1u64;
        while began.elapsed() < wall {
            x = std::hint::black_box(x.wrapping_mul(31).rotate_left(7));
        }
    })
    .await
    .expect("spinner");
    (cpu_seconds(node).await - before) / wall.as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpu_fault_burns_real_cpu_time() {
    const N: usize = 20;
    let _turn = PROCESS.lock().await;
    let leaf = leaf(Setup::new()).await;

    let before = cpu_seconds(&leaf).await;
    hit(&leaf, N).await;
    let healthy = cpu_seconds(&leaf).await - before;

    leaf.inject(json!([{ "kind": "cpu", "match": { "route": "/x/{id}" }, "burnMs": 50 }])).await;
    let share_before = spin_share(&leaf).await;
    let before = cpu_seconds(&leaf).await;
    let began = Instant::now();
    hit(&leaf, N).await;
    let took = began.elapsed();
    let burnt = cpu_seconds(&leaf).await - before;
    let share = (share_before + spin_share(&leaf).await) / 2.0;
    assert!(share > 0.2, "the machine is too busy to measure CPU: a spinning thread got {share} of a core");
    let floor = N as f64 * 0.050 * 0.8 * share.min(1.0);
    assert!(burnt >= floor, "{N} × 50 ms of CPU at a {share:.2} share should show ≥ {floor:.2} s, showed {burnt} s");
    assert!(burnt > healthy * 5.0, "the fault, not the requests, burnt it: {healthy} s without, {burnt} s with");
    assert!(took >= Duration::from_millis(50 * N as u64), "each request spins 50 ms, all took {took:?}");
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_fault_retains_up_to_its_cap_and_releases_on_delete() {
    const MIB: f64 = 1024.0 * 1024.0;
    let _turn = PROCESS.lock().await;
    let leaf = leaf(Setup::new()).await;
    let agent = leaf.running.agent.clone();

    let before = rss(&leaf).await;
    leaf.inject(json!([{ "kind": "memory", "match": { "route": "/x/{id}" }, "retainKib": 1024, "capMib": 32 }])).await;
    hit(&leaf, 48).await;
    assert_eq!(agent.retained_bytes(), 32 * 1024 * 1024, "48 requests × 1 MiB, capped at 32 MiB");
    let grown = rss(&leaf).await - before;
    assert!(grown >= 24.0 * MIB, "retained memory is resident: RSS grew {} MiB", grown / MIB);
    let held = rss(&leaf).await;

    leaf.clear_faults().await;
    assert_eq!(agent.retained_bytes(), 0, "DELETE releases what the fault held");
    eventually(Duration::from_secs(2), "RSS to fall after release", || async {
        (held - rss(&leaf).await >= 16.0 * MIB).then_some(())
    })
    .await;
    leaf.stop().await;
}
