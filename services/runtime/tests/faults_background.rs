//! The background faults, `log-noise` and `cpu-burn`: what they really do with no request in
//! sight, that they look like the service's own behaviour, and that they stop the moment the
//! fault set is cleared, replaced or its lease runs out.
//!
//! `cpu-burn`'s share is measured on `process_cpu_seconds_total`, what a player sees, which
//! covers the whole test process, so the CPU tests take turns. That it *stops* is measured on
//! the burner threads' own CPU time (`/proc/self/task/*/schedstat`), which the other tests of
//! this binary running beside it cannot inflate.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Node, Setup, eventually, leaf};
use tokio::sync::Mutex;

/// One CPU test at a time: the process metrics are shared by every service in this binary.
static PROCESS: Mutex<()> = Mutex::const_new(());

const MESSAGES: [&str; 4] = [
    "cache refresh slow",
    "config reload took longer than expected",
    "background flush behind schedule",
    "health report delayed",
];

/// Long enough for several background ticks (100 ms) to pass: proves something *stopped*.
const SEVERAL_TICKS: Duration = Duration::from_millis(500);

fn parsed(node: &Node) -> Vec<Value> {
    node.log_lines().iter().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
}

fn noise(node: &Node) -> Vec<Value> {
    parsed(node).into_iter().filter(|l| MESSAGES.contains(&l["message"].as_str().unwrap_or(""))).collect()
}

async fn wait_for_noise(node: &Node, n: usize) -> Vec<Value> {
    eventually(Duration::from_secs(5), "noise lines", || async {
        let lines = noise(node);
        (lines.len() >= n).then_some(lines)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_noise_writes_warnings_that_look_like_the_services_own() {
    let leaf = leaf(Setup::new()).await;
    leaf.inject(json!([{ "kind": "log-noise", "linesPerSecond": 20 }])).await;
    let lines = wait_for_noise(&leaf, 8).await;
    let listening = parsed(&leaf).into_iter().find(|l| l["message"] == "listening").expect("a start-up line");
    for line in &lines {
        assert_eq!(line["level"], "WARN", "{line}");
        assert_eq!(line["service"], "leaf", "{line}");
        assert_eq!(line["target"], listening["target"], "the service's own target: {line}");
        assert!(line["elapsed_ms"].as_u64() > line["threshold_ms"].as_u64(), "slower than its threshold: {line}");
        assert!(line["task"].is_string() && line.get("trace_id").is_none(), "{line}");
        let text = line.to_string().to_lowercase();
        for word in ["fault", "chaos", "noise", "inject", "lease", "decoy"] {
            assert!(!text.contains(word), "`{word}` gives the noise away: {line}");
        }
    }
    let seen: std::collections::BTreeSet<&str> = lines.iter().filter_map(|l| l["message"].as_str()).collect();
    assert_eq!(seen.len(), MESSAGES.len(), "the messages take turns: {seen:?}");
    let counted = leaf.chaos_metrics().await.value("firedrill_chaos_injections_total", &[("kind", "log-noise")]);
    assert!(counted >= Some(8.0), "each line is an injection on the admin port, counted {counted:?}");
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_noise_keeps_its_rate() {
    let leaf = leaf(Setup::new()).await;
    leaf.inject(json!([{ "kind": "log-noise", "linesPerSecond": 5 }])).await;
    let first = wait_for_noise(&leaf, 1).await.len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let written = noise(&leaf).len() - first;
    assert!((7..=13).contains(&written), "5 lines per second for 2 s wrote {written}");
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_noise_stops_when_the_set_is_replaced_cleared_or_lapses() {
    let leaf = leaf(Setup::new()).await;
    let noisy = |generation: u64, lease: u32| json!({ "generation": generation, "leaseSeconds": lease, "faults": [{ "kind": "log-noise", "linesPerSecond": 20 }] });
    let stopped = |what: &'static str| {
        let leaf = &leaf;
        async move {
            let before = noise(leaf).len();
            tokio::time::sleep(SEVERAL_TICKS).await;
            assert_eq!(noise(leaf).len(), before, "noise went on after the fault was {what}");
        }
    };
    leaf.put_faults(noisy(1, 60)).await;
    wait_for_noise(&leaf, 2).await;
    leaf.put_faults(json!({ "generation": 2, "leaseSeconds": 60, "faults": [{ "kind": "latency", "delayMs": 1 }] }))
        .await;
    stopped("replaced").await;

    leaf.put_faults(noisy(3, 60)).await;
    let n = noise(&leaf).len();
    wait_for_noise(&leaf, n + 2).await;
    leaf.clear_faults().await;
    stopped("cleared").await;

    leaf.put_faults(noisy(4, 1)).await;
    let n = noise(&leaf).len();
    wait_for_noise(&leaf, n + 2).await;
    eventually(Duration::from_secs(3), "the 1 s lease to run out", || async {
        (leaf.get_faults().await["faults"] == json!([])).then_some(())
    })
    .await;
    stopped("expired").await;
    leaf.stop().await;
}

async fn cpu_seconds(node: &Node) -> f64 {
    node.metrics().await.value("process_cpu_seconds_total", &[]).expect("process_cpu_seconds_total")
}

/// CPU seconds per wall second one spinning thread of this process gets right now: 1 on a
/// quiet machine, less when other processes compete (the burn cannot get more).
async fn spin_share(node: &Node) -> f64 {
    let wall = Duration::from_millis(300);
    let before = cpu_seconds(node).await;
    tokio::task::spawn_blocking(move || {
        let began = std::time::Instant::now();
        let mut x = 1u64;
        while began.elapsed() < wall {
            x = std::hint::black_box(x.wrapping_mul(31).rotate_left(7));
        }
    })
    .await
    .expect("spinner");
    let share = (cpu_seconds(node).await - before) / wall.as_secs_f64();
    assert!(share > 0.2, "the machine is too busy to measure CPU: a spinning thread got {share} of a core");
    share.min(1.0)
}

/// Process CPU seconds burnt over `wall`, with no request sent.
async fn burnt_over(node: &Node, wall: Duration) -> f64 {
    let before = cpu_seconds(node).await;
    tokio::time::sleep(wall).await;
    cpu_seconds(node).await - before
}

/// CPU seconds spent so far by every background burner thread of this process (named
/// `background`; idle ones spend next to nothing), from the scheduler's nanosecond counters.
fn burner_cpu_seconds() -> f64 {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task");
    let mut nanos = 0u64;
    for task in tasks.flatten() {
        let path = task.path();
        let (Ok(comm), Ok(stat)) =
            (std::fs::read_to_string(path.join("comm")), std::fs::read_to_string(path.join("schedstat")))
        else {
            continue; // the thread ended between the listing and the read
        };
        if comm.trim() == "background" {
            nanos += stat.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()).expect("schedstat's run time");
        }
    }
    nanos as f64 / 1e9
}

/// CPU seconds the burner threads spent over `wall`.
async fn burner_burnt_over(wall: Duration) -> f64 {
    let before = burner_cpu_seconds();
    tokio::time::sleep(wall).await;
    burner_cpu_seconds() - before
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpu_burn_keeps_its_share_of_a_core_without_any_request() {
    let _turn = PROCESS.lock().await;
    let leaf = leaf(Setup::new()).await;
    let idle = burnt_over(&leaf, Duration::from_secs(1)).await;
    let share = spin_share(&leaf).await;
    leaf.inject(json!([{ "kind": "cpu-burn", "millicores": 500 }])).await;
    let half = burnt_over(&leaf, Duration::from_secs(2)).await / 2.0;
    let floor = 0.6 * share.min(0.5);
    assert!(
        half >= floor && half > idle * 3.0,
        "500 millicores at a {share:.2} share burnt {half:.3} s per second, expected ≥ {floor:.2} (idle: {idle:.3})"
    );
    assert!(half <= 0.7, "500 millicores must stay near half a core, burnt {half:.3} s per second");
    assert_eq!(leaf.hits(), 0, "no request was needed");
    leaf.inject(json!([{ "kind": "cpu-burn", "millicores": 1000 }])).await;
    let full = burnt_over(&leaf, Duration::from_secs(1)).await;
    assert!(full <= 1.2, "one thread: never much more than one core, burnt {full:.3} s in 1 s");
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpu_burn_stops_when_the_set_is_cleared_or_lapses() {
    let _turn = PROCESS.lock().await;
    let leaf = leaf(Setup::new()).await;
    let share = spin_share(&leaf).await;
    leaf.inject(json!([{ "kind": "cpu-burn", "millicores": 800 }])).await;
    let burning = burner_burnt_over(Duration::from_secs(1)).await;
    assert!(burning >= 0.6 * share.min(0.8), "800 millicores at a {share:.2} share burnt only {burning:.3} s in 1 s");
    leaf.clear_faults().await;
    let after = burner_burnt_over(Duration::from_secs(1)).await;
    assert!(after < 0.1, "cleared, yet burnt {after:.3} s in 1 s");

    leaf.put_faults(
        json!({ "generation": 2, "leaseSeconds": 1, "faults": [{ "kind": "cpu-burn", "millicores": 800 }] }),
    )
    .await;
    eventually(Duration::from_secs(3), "the 1 s lease to run out", || async {
        (leaf.get_faults().await["faults"] == json!([])).then_some(())
    })
    .await;
    let lapsed = burner_burnt_over(Duration::from_secs(1)).await;
    assert!(lapsed < 0.1, "lapsed, yet burnt {lapsed:.3} s in 1 s");
    leaf.stop().await;
}
