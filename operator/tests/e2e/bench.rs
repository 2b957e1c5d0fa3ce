//! Figures on the live cluster (docs/benchmarks.md, "The CI cluster"): measurements, not checks,
//! so they are not part of `make e2e`'s default steps. Run with the cluster up:
//!
//!   E2E_STEPS="chart bench" tools/e2e/run.sh
//!
//! - `bench_injection_real_pods`: from Drill created to every real pod of the targeted service
//!   acknowledging its faults, p50/p99 over 20 rounds, with 1, 10 and 50 replicas;
//! - `bench_footprint`: every pod's memory from its cgroup after 10 minutes of a drill, summed
//!   per namespace, and the control plane's processes apart.

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;

use crate::live::{Cluster, ready};
use crate::support::wait::eventually;

const ROUNDS: usize = 20;

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark on the CI cluster: E2E_STEPS=\"chart bench\" tools/e2e/run.sh"]
async fn bench_injection_real_pods() {
    let cluster = Cluster::new().await;
    let deployments: Api<Deployment> = Api::namespaced(cluster.client.clone(), &cluster.lab);
    let admin = firedrill_control::AdminClient::new(Duration::from_millis(500));
    // The first drill tells which service the seed targets; its replicas are then scaled.
    let probe = cluster.start_drill("bench-probe").await;
    let target = cluster.targeted(&probe).await;
    cluster.stop_drill(&probe).await;
    let scale = |n: usize| json!({ "spec": { "replicas": n } });
    for n in [1usize, 10, 50] {
        deployments
            .patch_scale(&target.deployment, &PatchParams::default(), &Patch::Merge(scale(n)))
            .await
            .expect("scale");
        eventually(&format!("{n} replicas Ready"), Duration::from_secs(600), || async {
            let pods = target.pods(&cluster).await;
            (pods.len() == n && pods.iter().all(ready)).then_some(())
        })
        .await;
        let agents = target.agents(&cluster).await;
        assert_eq!(agents.len(), n);
        let mut times = Vec::new();
        for round in 0..ROUNDS {
            let created = Instant::now();
            let drill = cluster.create_drill(&format!("bench-{n}-{round}"), 0).await;
            eventually("every replica acknowledged", Duration::from_secs(60), || async {
                for (_, addr) in &agents {
                    let reply = admin.get(addr, &cluster.agent_token).await.ok()?;
                    if reply.faults.len() != target.faults {
                        return None;
                    }
                }
                Some(())
            })
            .await;
            times.push(created.elapsed());
            cluster.stop_drill(&drill).await;
            eventually("every replica cleared", Duration::from_secs(60), || async {
                for (_, addr) in &agents {
                    if !admin.get(addr, &cluster.agent_token).await.ok()?.faults.is_empty() {
                        return None;
                    }
                }
                Some(())
            })
            .await;
        }
        times.sort();
        println!(
            "injection, Drill created -> {n} real pods acknowledged: p50 {} ms, p99 {} ms, max {} ms ({ROUNDS} rounds)",
            quantile(&times, 0.5).as_millis(),
            quantile(&times, 0.99).as_millis(),
            times.last().unwrap().as_millis()
        );
    }
    deployments
        .patch_scale(&target.deployment, &PatchParams::default(), &Patch::Merge(scale(1)))
        .await
        .expect("scale back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark on the CI cluster: E2E_STEPS=\"chart bench\" tools/e2e/run.sh"]
async fn bench_footprint() {
    let cluster = Cluster::new().await;
    // FOOTPRINT_MINUTES=0 reads at once: `make e2e` does so right after `make verify-kind`,
    // whose drills ran back to back for about 17 minutes.
    let minutes: u64 = std::env::var("FOOTPRINT_MINUTES").ok().and_then(|m| m.parse().ok()).unwrap_or(10);
    if minutes == 0 {
        println!("now:\n{}", crate::live::footprint(&cluster).await);
        return;
    }
    let drill = cluster.create_drill("footprint", 30).await;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(minutes * 60) {
        tokio::time::sleep(Duration::from_secs(30)).await;
        let status = cluster.drill_status(&drill).await;
        println!("{:>4} s: drill {}", start.elapsed().as_secs(), status["phase"]);
    }
    let report = crate::live::footprint(&cluster).await;
    println!("after {minutes} minutes of a drill:\n{report}");
    cluster.stop_drill(&drill).await;
}
