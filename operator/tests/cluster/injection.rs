//! FaultInjection against real services: delivery, revert on deletion, pods that restart,
//! leases that run out when the operator is gone, and the blast-radius refusals.

use std::time::Duration;

use firedrill_operator::crd::{FaultInjection, InjectionPhase, PodState};
use firedrill_runtime::Running;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use serde_json::json;

use crate::support::lab::{Lab, eventually, service};

const INJECTABLE: (&str, &str) = ("firedrill.dev/injectable", "true");
const APP: (&str, &str) = ("app", "inventory");
const WAIT: Duration = Duration::from_secs(20);

fn faults_of(svc: &Running) -> usize {
    svc.agent.snapshot().set.as_ref().map_or(0, |s| s.faults.len())
}

async fn create(lab: &Lab, name: &str, lease: u32) -> Api<FaultInjection> {
    let api: Api<FaultInjection> = Api::namespaced(lab.admin.clone(), &lab.control);
    let fi: FaultInjection = serde_json::from_value(json!({
        "apiVersion": "firedrill.dev/v1alpha1", "kind": "FaultInjection",
        "metadata": { "name": name },
        "spec": {
            "selector": { "namespace": lab.ns, "matchLabels": { "app": "inventory" }, "mode": "All" },
            "faults": [{ "kind": "latency", "delayMs": 250 }],
            "leaseSeconds": lease
        }
    }))
    .unwrap();
    api.create(&PostParams::default(), &fi).await.expect("create FaultInjection");
    api
}

async fn phase(api: &Api<FaultInjection>, name: &str) -> Option<InjectionPhase> {
    api.get(name).await.ok()?.status?.phase
}

#[tokio::test]
async fn fault_injection_reaches_real_services_and_deletion_reverts() {
    let mut lab = Lab::new(true).await;
    lab.start_operator().await;
    let (a, b, bystander) = (service("inventory").await, service("inventory").await, service("inventory").await);
    lab.pod("inventory-0", &[APP, INJECTABLE], a.admin_addr.port()).await;
    lab.pod("inventory-1", &[APP, INJECTABLE], b.admin_addr.port()).await;
    lab.pod("inventory-legacy", &[APP], bystander.admin_addr.port()).await;

    let api = create(&lab, "slow-inventory", 30).await;
    eventually("both injectable services carry the fault", WAIT, || async {
        (faults_of(&a) == 1 && faults_of(&b) == 1).then_some(())
    })
    .await;
    let fi = eventually("status Active", WAIT, || async {
        let fi = api.get("slow-inventory").await.ok()?;
        (fi.status.as_ref()?.phase == Some(InjectionPhase::Active)).then_some(fi)
    })
    .await;
    let status = fi.status.unwrap();
    assert_eq!((status.selected_pods, status.injected_pods), (2, 2));
    assert!(status.all_acknowledged_at.is_some());
    let refused = status.conditions.iter().find(|c| c.type_ == "PodsRefused").expect("PodsRefused condition");
    assert!(refused.message.contains("inventory-legacy"), "{}", refused.message);
    assert_eq!(faults_of(&bystander), 0, "a pod without the injectable label is never touched");
    assert!(lab.metrics.encode().contains("firedrill_operator_injection_latency_seconds_count 1"));

    api.delete("slow-inventory", &DeleteParams::default()).await.unwrap();
    eventually("faults reverted and the object gone", WAIT, || async {
        let gone = api.get_opt("slow-inventory").await.ok()?.is_none();
        (gone && faults_of(&a) == 0 && faults_of(&b) == 0).then_some(())
    })
    .await;
    lab.stop_operator().await;
}

#[tokio::test]
async fn a_restarted_pod_gets_the_fault_again() {
    let mut lab = Lab::new(true).await;
    lab.start_operator().await;
    let first = service("inventory").await;
    let old_uid = lab.pod("inventory-0", &[APP, INJECTABLE], first.admin_addr.port()).await.metadata.uid.unwrap();
    let api = create(&lab, "restart", 30).await;
    eventually("first pod injected", WAIT, || async { (faults_of(&first) == 1).then_some(()) }).await;

    // The "restart": the pod object is replaced and its process is a new one (fresh agent,
    // new port), as after a crash or a rollout.
    let pods: Api<Pod> = Api::namespaced(lab.admin.clone(), &lab.ns);
    pods.delete("inventory-0", &DeleteParams::default().grace_period(0)).await.unwrap();
    eventually("old pod deleted", WAIT, || async { pods.get_opt("inventory-0").await.ok()?.is_none().then_some(()) })
        .await;
    let second = service("inventory").await;
    lab.pod("inventory-0", &[APP, INJECTABLE], second.admin_addr.port()).await;
    eventually("the new pod carries the fault", WAIT, || async { (faults_of(&second) == 1).then_some(()) }).await;

    // The old pod is recorded as gone (or reverted, when the operator saw it terminating),
    // never as a failure.
    let status = eventually("records show the old pod let go and the new one injected", WAIT, || async {
        let status = api.get("restart").await.ok()?.status?;
        let old = status.pods.iter().find(|p| p.uid == old_uid)?;
        let new = status.pods.iter().find(|p| p.uid != old_uid)?;
        let let_go = matches!(old.state, PodState::Gone | PodState::Recovered);
        (let_go && new.state == PodState::Injected).then_some(status)
    })
    .await;
    let injected = status.pods.iter().find(|p| p.state == PodState::Injected).unwrap();
    assert_eq!(injected.endpoint.as_deref(), Some(format!("127.0.0.1:{}", second.admin_addr.port()).as_str()));
    lab.stop_operator().await;
}

#[tokio::test]
async fn a_stopped_operator_leaves_a_healthy_system_within_one_lease() {
    let mut lab = Lab::new(true).await;
    lab.start_operator().await;
    let svc = service("inventory").await;
    lab.pod("inventory-0", &[APP, INJECTABLE], svc.admin_addr.port()).await;
    let api = create(&lab, "leased", 5).await;
    eventually("injected", WAIT, || async {
        (phase(&api, "leased").await == Some(InjectionPhase::Active)).then_some(())
    })
    .await;
    lab.stop_operator().await;
    let stopped = std::time::Instant::now();
    assert_eq!(faults_of(&svc), 1, "the fault is still active right after the operator stopped");
    eventually("the lease ran out", Duration::from_secs(8), || async { (faults_of(&svc) == 0).then_some(()) }).await;
    assert!(stopped.elapsed() <= Duration::from_secs(6), "dropped within one lease (5 s): {:?}", stopped.elapsed());
    assert!(api.get("leased").await.is_ok(), "the object itself is untouched; only the agent gave up");
}

/// A shutdown that arrives before the controllers' first list has finished (a pod killed
/// right after it started, or a test that is quick) must still end the operator promptly.
#[tokio::test]
async fn an_operator_stopped_before_its_first_list_stops_promptly() {
    let mut lab = Lab::new(true).await;
    lab.start_operator().await;
    let asked = std::time::Instant::now();
    lab.stop_operator().await;
    assert!(asked.elapsed() <= Duration::from_secs(5), "stopped in {:?}", asked.elapsed());
}

#[tokio::test]
async fn namespaces_and_pods_that_did_not_opt_in_are_refused() {
    let mut closed = Lab::new(false).await;
    closed.start_operator().await;
    let svc = service("inventory").await;
    closed.pod("inventory-0", &[APP, INJECTABLE], svc.admin_addr.port()).await;
    let api = create(&closed, "not-here", 30).await;
    let fi = eventually("Refused", WAIT, || async {
        let fi = api.get("not-here").await.ok()?;
        (fi.status.as_ref()?.phase == Some(InjectionPhase::Refused)).then_some(fi)
    })
    .await;
    let ready = &fi.status.unwrap().conditions[0];
    assert_eq!((ready.reason.as_str(), ready.status.as_str()), ("NamespaceNotOptedIn", "False"));
    assert!(ready.message.contains("firedrill.dev/lab=true"), "{}", ready.message);
    assert_eq!(faults_of(&svc), 0);
    closed.stop_operator().await;

    let mut open = Lab::new(true).await;
    open.start_operator().await;
    let svc = service("inventory").await;
    open.pod("inventory-0", &[APP], svc.admin_addr.port()).await;
    let api = create(&open, "not-injectable", 30).await;
    let fi = eventually("Refused", WAIT, || async {
        let fi = api.get("not-injectable").await.ok()?;
        (fi.status.as_ref()?.phase == Some(InjectionPhase::Refused)).then_some(fi)
    })
    .await;
    assert_eq!(fi.status.unwrap().conditions[0].reason, "PodsNotInjectable");
    assert_eq!(faults_of(&svc), 0);
    open.stop_operator().await;
}

#[tokio::test]
async fn duration_seconds_reverts_on_time() {
    let mut lab = Lab::new(true).await;
    lab.start_operator().await;
    let svc = service("inventory").await;
    lab.pod("inventory-0", &[APP, INJECTABLE], svc.admin_addr.port()).await;
    let api: Api<FaultInjection> = Api::namespaced(lab.admin.clone(), &lab.control);
    let fi: FaultInjection = serde_json::from_value(json!({
        "apiVersion": "firedrill.dev/v1alpha1", "kind": "FaultInjection",
        "metadata": { "name": "short" },
        "spec": {
            "selector": { "namespace": lab.ns, "matchLabels": { "app": "inventory" } },
            "faults": [{ "kind": "error", "status": 503 }],
            "leaseSeconds": 60, "durationSeconds": 3
        }
    }))
    .unwrap();
    api.create(&PostParams::default(), &fi).await.unwrap();
    eventually("injected", WAIT, || async { (faults_of(&svc) == 1).then_some(()) }).await;
    let fi = eventually("Expired", Duration::from_secs(8), || async {
        let fi = api.get("short").await.ok()?;
        (fi.status.as_ref()?.phase == Some(InjectionPhase::Expired)).then_some(fi)
    })
    .await;
    assert_eq!(faults_of(&svc), 0, "expiry reverted the pod long before its 60 s lease");
    assert_eq!(fi.status.unwrap().pods[0].state, PodState::Recovered);
    lab.stop_operator().await;
}
