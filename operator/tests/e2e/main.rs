//! What only real pods can show, on the live cluster `make e2e` brings up (tools/cluster) with
//! the chart installed: replacement and scale-up pods get the drill's faults, the drill survives
//! its operator's death, nothing outlives `helm uninstall` by more than a lease, and the player's
//! view on the live API server reaches none of the truth.
//!
//! Every test is `#[ignore]`d (they need that cluster, with KUBECONFIG pointing at it, and run in
//! its network namespace so pod IPs are reachable); `tools/e2e/run.sh` runs them one at a time,
//! `helm_uninstall_mid_drill` last, through `tools/cluster/exec.sh`:
//!
//!   cargo test -p firedrill-operator --test e2e -- --ignored --exact --nocapture players_view

mod bench;
mod live;
#[path = "../support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::Api;
use kube::api::{DeleteParams, ListParams, LogParams, Patch, PatchParams};
use serde_json::json;

use live::{Cluster, Targeted, ready};
use support::access::can;
use support::wait::eventually;

/// A targeted pod deleted mid-drill: its replacement carries the faults within 1 s of Ready.
#[tokio::test]
#[ignore = "needs the CI cluster: make e2e"]
async fn deleted_pod() {
    let cluster = Cluster::new().await;
    let drill = cluster.start_drill("deleted-pod").await;
    let target = cluster.targeted(&drill).await;
    let old = target.pods(&cluster).await.remove(0);
    let old_name = old.metadata.name.clone().unwrap();
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), &cluster.lab);
    pods.delete(&old_name, &DeleteParams::default()).await.expect("delete the targeted pod");
    let (after_ready, pod) = cluster.new_replica_carries(&target, &[old_name.as_str()]).await;
    println!("replacement {pod}: faults {} ms after Ready", after_ready.as_millis());
    assert!(after_ready <= Duration::from_secs(1), "the replacement carried the faults {after_ready:?} after Ready");
    cluster.stop_drill(&drill).await;
}

/// A scale-up mid-drill: the new replica gets the faults.
#[tokio::test]
#[ignore = "needs the CI cluster: make e2e"]
async fn scale_up() {
    let cluster = Cluster::new().await;
    let drill = cluster.start_drill("scale-up").await;
    let target = cluster.targeted(&drill).await;
    let before: Vec<String> = target.pods(&cluster).await.iter().filter_map(|p| p.metadata.name.clone()).collect();
    let deployment = target.deployment.clone();
    let deployments: Api<Deployment> = Api::namespaced(cluster.client.clone(), &cluster.lab);
    let scale = |n: usize| json!({ "spec": { "replicas": n } });
    deployments
        .patch_scale(&deployment, &PatchParams::default(), &Patch::Merge(scale(before.len() + 1)))
        .await
        .expect("scale up");
    let names: Vec<&str> = before.iter().map(String::as_str).collect();
    let (after_ready, pod) = cluster.new_replica_carries(&target, &names).await;
    println!("new replica {pod} of {deployment}: faults {} ms after Ready", after_ready.as_millis());
    assert!(after_ready <= Duration::from_secs(1), "the new replica carried the faults {after_ready:?} after Ready");
    deployments
        .patch_scale(&deployment, &PatchParams::default(), &Patch::Merge(scale(before.len())))
        .await
        .expect("scale back");
    cluster.stop_drill(&drill).await;
}

/// The operator's pod killed mid-drill: the drill goes on (same phase, the faults stay on the
/// pods through the restart, the lease renewed by the new operator), and nothing is lost (a
/// diagnosis judged before is still there, one created after is judged).
#[tokio::test]
#[ignore = "needs the CI cluster: make e2e"]
async fn operator_killed() {
    let cluster = Cluster::new().await;
    let drill = cluster.start_drill("operator-killed").await;
    let target = cluster.targeted(&drill).await;
    cluster.diagnose(&drill, "alice", "before").await;
    eventually("the first diagnosis judged", Duration::from_secs(30), || async {
        cluster.judged(&drill).await.iter().any(|d| d == "alice-before").then_some(())
    })
    .await;
    let generation = target.generations(&cluster).await;

    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), &cluster.control);
    let selector = live::OPERATOR_PODS;
    let old = pods.list(&ListParams::default().labels(selector)).await.expect("operator pods");
    let old_name = old.items[0].metadata.name.clone().unwrap();
    let killed = Instant::now();
    pods.delete(&old_name, &DeleteParams { grace_period_seconds: Some(0), ..Default::default() })
        .await
        .expect("kill the operator");
    // Through the restart and one whole lease after it, the targeted pods never lose the set.
    let mut replaced: Option<Duration> = None;
    let until = Instant::now() + Duration::from_secs(40);
    while Instant::now() < until {
        let now = target.generations(&cluster).await;
        assert_eq!(now, generation, "the targeted pods' fault sets changed while the operator was down");
        if replaced.is_none() {
            let list = pods.list(&ListParams::default().labels(selector)).await.expect("operator pods");
            if list.items.iter().any(|p| p.metadata.name.as_deref() != Some(&old_name) && ready(p)) {
                replaced = Some(killed.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let replaced = replaced.expect("no new operator pod Ready within 40 s");
    println!("operator replaced in {} ms; faults held for 40 s", replaced.as_millis());
    let status = cluster.drill_status(&drill).await;
    assert_eq!(status["phase"], "active", "the drill did not go on: {status}");
    cluster.diagnose(&drill, "alice", "after").await;
    eventually("both diagnoses judged by the new operator", Duration::from_secs(30), || async {
        let judged = cluster.judged(&drill).await;
        (judged.iter().any(|d| d == "alice-before") && judged.iter().any(|d| d == "alice-after")).then_some(())
    })
    .await;
    cluster.stop_drill(&drill).await;
}

/// `helm uninstall` mid-drill: no fault outlives one lease.
#[tokio::test]
#[ignore = "needs the CI cluster: make e2e (and it uninstalls the chart)"]
async fn helm_uninstall_mid_drill() {
    let cluster = Cluster::new().await;
    let drill = cluster.start_drill("uninstall").await;
    let target = cluster.targeted(&drill).await;
    let agents = target.agents(&cluster).await;
    let lease = Duration::from_secs(u64::from(target.lease_seconds));
    let helm = std::env::var("FIREDRILL_HELM").unwrap_or_else(|_| "helm".into());
    let uninstalled = Instant::now();
    let out = std::process::Command::new(&helm)
        .args(["uninstall", "firedrill", "--namespace", &cluster.control])
        .output()
        .expect("run helm");
    assert!(out.status.success(), "helm uninstall: {}", String::from_utf8_lossy(&out.stderr));
    let admin = firedrill_control::AdminClient::new(Duration::from_millis(500));
    let mut cleared = Vec::new();
    for (pod, addr) in &agents {
        let at = eventually(&format!("{pod} without faults"), lease + Duration::from_secs(5), || async {
            match admin.get(addr, &cluster.agent_token).await {
                Ok(reply) if !reply.faults.is_empty() => None,
                // No faults, or no pod any more (it went with the chart).
                _ => Some(uninstalled.elapsed()),
            }
        })
        .await;
        cleared.push((pod.clone(), at));
    }
    for (pod, at) in &cleared {
        println!("{pod}: no fault {} ms after helm uninstall", at.as_millis());
        assert!(
            *at <= lease + Duration::from_secs(2),
            "{pod} kept its faults {at:?} after helm uninstall (lease {lease:?})"
        );
    }
}

/// The player's view by impersonation on the live cluster: no Secret, exec, port-forward,
/// attach, operator log, truth, admin token or fault trace; `kubectl logs` of the lab pods
/// shows no delivery bookkeeping while a drill runs.
#[tokio::test]
#[ignore = "needs the CI cluster: make e2e"]
async fn players_view() {
    let cluster = Cluster::new().await;
    let drill = cluster.start_drill("players-view").await;
    let player = cluster.player().await;
    let (ctl, lab) = (cluster.control.as_str(), cluster.lab.as_str());
    // Real requests, not only access reviews: each must come back 403.
    for ns in [ctl, lab] {
        let secrets: Api<Secret> = Api::namespaced(player.clone(), ns);
        live::forbidden(secrets.list(&ListParams::default()).await, &format!("list secrets in {ns}"));
        live::forbidden(secrets.get("firedrill-admin-token").await, &format!("get the admin token in {ns}"));
        live::forbidden(secrets.get("firedrill-agent-token").await, &format!("get the agent token in {ns}"));
    }
    let truth = format!("drill-truth-{}", drill.uid);
    live::forbidden(Api::<Secret>::namespaced(player.clone(), ctl).get(&truth).await, "get the truth Secret");
    let control_pods: Api<Pod> = Api::namespaced(player.clone(), ctl);
    live::forbidden(control_pods.list(&ListParams::default()).await, "list the control namespace's pods");
    let operator = cluster.operator_pod().await;
    live::forbidden(control_pods.logs(&operator, &LogParams::default()).await, "read the operator's log");
    for sub in ["exec", "portforward", "attach"] {
        assert!(!can(&player, "create", lab, "", "pods", Some(sub)).await, "a player may create pods/{sub}");
        assert!(!can(&player, "get", lab, "", "pods", Some(sub)).await, "a player may get pods/{sub}");
    }
    for resource in ["faultinjections", "scenarios"] {
        for ns in [ctl, lab] {
            assert!(
                !can(&player, "list", ns, "firedrill.dev", resource, None).await,
                "a player may list {resource} in {ns}"
            );
        }
    }
    // Logs of every lab pod, read as the player, during the drill (after it went active).
    let lab_pods: Api<Pod> = Api::namespaced(player.clone(), lab);
    let forbidden_words = cluster.bookkeeping_words(&drill).await;
    let mut read = 0;
    for pod in lab_pods.list(&ListParams::default()).await.expect("players list lab pods").items {
        let name = pod.metadata.name.clone().unwrap();
        let log = lab_pods.logs(&name, &LogParams { tail_lines: Some(2000), ..Default::default() }).await;
        let log = log.unwrap_or_else(|e| panic!("a player cannot read {name}'s log: {e}"));
        for word in &forbidden_words {
            assert!(!log.contains(word.as_str()), "{name}'s log names {word:?}, which a player may not see");
        }
        read += 1;
    }
    assert!(read >= 7, "only {read} lab pods' logs read");
    println!(
        "players_view: {read} lab pods' logs clean of {} words; secrets, exec, port-forward, attach, operator log refused",
        forbidden_words.len()
    );
    cluster.stop_drill(&drill).await;
}

impl Targeted {
    /// The targeted pods' fault-set generations, by pod name (errors count as `None`).
    async fn generations(&self, cluster: &Cluster) -> Vec<(String, Option<u64>)> {
        let admin = firedrill_control::AdminClient::new(Duration::from_secs(1));
        let mut out = Vec::new();
        for (pod, addr) in self.agents(cluster).await {
            out.push((pod, admin.get(&addr, &cluster.agent_token).await.ok().and_then(|r| r.generation)));
        }
        out
    }
}
