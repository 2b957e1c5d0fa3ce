//! Injection and revert latency for N = 1, 10, 50 pods backed by real agents on loopback.
//! Ignored by default (it is a measurement, not a check); run with
//! `cargo test -p firedrill-operator --release --test cluster -- --ignored --nocapture bench`.

use std::time::{Duration, Instant};

use firedrill_operator::crd::{FaultInjection, InjectionPhase};
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use serde_json::json;

use crate::support::lab::{Lab, eventually, service};

const ROUNDS: usize = 20;

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1]
}

async fn round(
    lab: &Lab,
    api: &Api<FaultInjection>,
    name: &str,
    agents: &[firedrill_runtime::Running],
) -> (Duration, Duration) {
    let fi: FaultInjection = serde_json::from_value(json!({
        "apiVersion": "firedrill.dev/v1alpha1", "kind": "FaultInjection",
        "metadata": { "name": name },
        "spec": {
            "selector": { "namespace": lab.ns, "matchLabels": { "app": "bench" }, "mode": "All" },
            "faults": [{ "kind": "latency", "delayMs": 1 }], "leaseSeconds": 60
        }
    }))
    .unwrap();
    let start = Instant::now();
    api.create(&PostParams::default(), &fi).await.unwrap();
    let carry = |n: usize| {
        agents.iter().filter(|a| a.agent.snapshot().set.as_ref().is_some_and(|s| !s.faults.is_empty())).count() == n
    };
    eventually("all agents injected", Duration::from_secs(30), || async { carry(agents.len()).then_some(()) }).await;
    let injected = start.elapsed();
    eventually("status Active", Duration::from_secs(30), || async {
        (api.get(name).await.ok()?.status?.phase == Some(InjectionPhase::Active)).then_some(())
    })
    .await;
    let start = Instant::now();
    api.delete(name, &DeleteParams::default()).await.unwrap();
    eventually("all agents reverted", Duration::from_secs(30), || async { carry(0).then_some(()) }).await;
    let reverted = start.elapsed();
    eventually("object gone", Duration::from_secs(30), || async {
        api.get_opt(name).await.ok()?.is_none().then_some(())
    })
    .await;
    (injected, reverted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark; run explicitly"]
async fn bench_injection_latency() {
    let mut lab = Lab::new(true).await;
    lab.start_operator().await;
    let mut agents = Vec::new();
    for n in [1usize, 10, 50] {
        while agents.len() < n {
            let svc = service("bench").await;
            let labels = [("app", "bench"), ("firedrill.dev/injectable", "true")];
            lab.pod(&format!("bench-{}", agents.len()), &labels, svc.admin_addr.port()).await;
            agents.push(svc);
        }
        let api: Api<FaultInjection> = Api::namespaced(lab.admin.clone(), &lab.control);
        let (mut inject, mut revert) = (Vec::new(), Vec::new());
        round(&lab, &api, &format!("bench-{n}-warm-up"), &agents).await; // connections, caches
        for r in 0..ROUNDS {
            let (i, d) = round(&lab, &api, &format!("bench-{n}-{r}"), &agents).await;
            inject.push(i);
            revert.push(d);
        }
        inject.sort();
        revert.sort();
        println!(
            "N={n:>2} pods, {ROUNDS} rounds: inject p50 {:?} p99 {:?} max {:?} | revert p50 {:?} p99 {:?} max {:?}",
            quantile(&inject, 0.5),
            quantile(&inject, 0.99),
            inject[ROUNDS - 1],
            quantile(&revert, 0.5),
            quantile(&revert, 0.99),
            revert[ROUNDS - 1],
        );
    }
    println!(
        "{}",
        lab.metrics
            .encode()
            .lines()
            .filter(|l| l.contains("injection_latency_seconds_"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    lab.stop_operator().await;
}
