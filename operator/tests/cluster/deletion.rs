//! Deleting a Drill: its FaultInjections go first (their finalizers revert the pods), and the
//! Drill waits for them. Waiting is a requeue, not a failure: the failure metric stays still.

use firedrill_drill::Phase;
use firedrill_operator::crd::{Drill, FaultInjection};
use firedrill_operator::metrics::ControllerLabel;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use serde_json::json;

use super::drills::{create_drill, install_scenario, scenario_source, start_services, until_phase};
use crate::support::lab::{Lab, eventually};

/// A finalizer of the test's own: it holds a FaultInjection the way a slow revert would.
const HOLD: &str = "tests.firedrill.dev/hold";
const WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// The drill controller's failures so far, over every reason.
fn drill_failures(lab: &Lab) -> u64 {
    let text = lab.metrics.encode();
    let lines = text.lines().filter(|l| l.starts_with("firedrill_operator_reconcile_failures_total{"));
    let drill = lines.filter(|l| l.contains("controller=\"drill\""));
    drill.filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok()).sum()
}

fn drill_reconciles(lab: &Lab) -> u64 {
    lab.metrics.reconciliations.get_or_create(&ControllerLabel { controller: "drill" }).get()
}

#[tokio::test]
async fn a_deleted_drill_waits_for_its_faults_without_counting_a_failure() {
    let mut lab = Lab::new(true).await;
    install_scenario(&lab, "product-pages-slow-teams-paged", &scenario_source("product-pages-slow-teams-paged")).await;
    let _services = start_services(&lab).await;
    lab.start_operator().await;
    let drill = create_drill(&lab, "game-day").await;
    until_phase(&lab, "game-day", Phase::Active).await;

    let injections: Api<FaultInjection> = Api::namespaced(lab.admin.clone(), &lab.control);
    let selector = format!("firedrill.dev/drill-uid={}", drill.metadata.uid.clone().unwrap());
    let held = injections.list(&ListParams::default().labels(&selector)).await.unwrap().items.remove(0);
    let mut finalizers = held.metadata.finalizers.clone().unwrap_or_default();
    finalizers.push(HOLD.into());
    let hold = json!({ "metadata": { "finalizers": finalizers } });
    let name = held.metadata.name.clone().unwrap();
    injections.patch(&name, &PatchParams::default(), &Patch::Merge(&hold)).await.unwrap();

    let failures_before = drill_failures(&lab);
    let drills: Api<Drill> = Api::namespaced(lab.admin.clone(), &lab.ns);
    drills.delete("game-day", &DeleteParams::default()).await.unwrap();
    let reconciles_at_delete = drill_reconciles(&lab);
    eventually("the deleted drill looked again several times", WAIT, || async {
        (drill_reconciles(&lab) >= reconciles_at_delete + 3).then_some(())
    })
    .await;
    assert!(drills.get_opt("game-day").await.unwrap().is_some(), "the drill went before its faults");
    assert_eq!(drill_failures(&lab), failures_before, "waiting was counted as a failure:\n{}", lab.metrics.encode());

    let now = injections.get(&name).await.unwrap();
    let rest: Vec<String> = now.metadata.finalizers.unwrap_or_default().into_iter().filter(|f| f != HOLD).collect();
    let release = json!({ "metadata": { "finalizers": rest } });
    injections.patch(&name, &PatchParams::default(), &Patch::Merge(&release)).await.unwrap();
    eventually("the drill is gone once its faults are", WAIT, || async {
        drills.get_opt("game-day").await.ok()?.is_none().then_some(())
    })
    .await;
    assert_eq!(drill_failures(&lab), failures_before);
    lab.stop_operator().await;
}
