//! From the drawn culprit to FaultInjections in the control namespace, one per service (or
//! per replica when replicas differ). Applied with server-side apply under fixed names, so a
//! restarted operator re-applies the same objects: no double injection.

use std::collections::BTreeMap;

use firedrill_drill::Lease;
use firedrill_drill::draw::FaultSets;
use firedrill_fault::Fault;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use kube::{Api, ResourceExt};

use super::truth::DRILL_UID_LABEL;
use crate::context::Context;
use crate::crd::{Drill, FaultInjection, FaultInjectionSpec, InjectionPhase, PodSelector, SelectionMode};
use crate::error::Result;

/// Pod label naming the service (the Kubernetes recommended label).
pub const SERVICE_LABEL: &str = "app.kubernetes.io/name";
/// Pod label with the replica index, for culprits that hit one replica of several.
pub const REPLICA_LABEL: &str = "firedrill.dev/replica";

/// One FaultInjection to create: name suffix, pod labels, faults.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub suffix: String,
    pub labels: BTreeMap<String, String>,
    pub faults: Vec<Fault>,
}

/// Groups the draw's per-replica fault sets: one object per service when every replica
/// carries the same faults, else one per replica.
pub fn plan(sets: &FaultSets, replica_counts: &BTreeMap<String, u32>) -> Vec<Planned> {
    let mut by_service: BTreeMap<String, BTreeMap<u32, Vec<Fault>>> = BTreeMap::new();
    for ((service, replica), faults) in sets.clone() {
        by_service.entry(service).or_default().insert(replica, faults);
    }
    let mut planned = Vec::new();
    for (service, replicas) in by_service {
        let count = replica_counts.get(&service).copied().unwrap_or(1) as usize;
        let first = replicas.values().next().cloned().unwrap_or_default();
        let labels = BTreeMap::from([(SERVICE_LABEL.to_string(), service.clone())]);
        if replicas.len() == count && replicas.values().all(|f| *f == first) {
            planned.push(Planned { suffix: service, labels, faults: first });
            continue;
        }
        for (replica, faults) in replicas {
            let mut labels = labels.clone();
            labels.insert(REPLICA_LABEL.into(), replica.to_string());
            planned.push(Planned { suffix: format!("{service}-{replica}"), labels, faults });
        }
    }
    planned
}

fn api(ctx: &Context) -> Api<FaultInjection> {
    Api::namespaced(ctx.client.clone(), &ctx.config.control_namespace)
}

fn name(drill: &Drill, suffix: &str) -> String {
    let uid = drill.uid().unwrap_or_default();
    format!("drill-{}-{suffix}", &uid[..uid.len().min(8)])
}

/// Applies the planned FaultInjections for `drill` (idempotent).
pub async fn apply(ctx: &Context, drill: &Drill, planned: &[Planned], lease: Lease) -> Result<()> {
    let params = PatchParams::apply(crate::FIELD_MANAGER).force();
    for fi in objects(drill, planned, lease) {
        api(ctx).patch(&fi.name_any(), &params, &Patch::Apply(&fi)).await?;
    }
    Ok(())
}

/// The FaultInjection objects for the plan: pods of the Drill's namespace with the plan's
/// labels carry its faults under `lease`.
pub fn objects(drill: &Drill, planned: &[Planned], lease: Lease) -> Vec<FaultInjection> {
    planned
        .iter()
        .map(|p| {
            let spec = FaultInjectionSpec {
                selector: PodSelector {
                    namespace: drill.namespace().unwrap_or_default(),
                    match_labels: p.labels.clone(),
                    mode: SelectionMode::All,
                    value: None,
                },
                faults: p.faults.iter().map(|f| serde_json::to_value(f).expect("a fault serialises")).collect(),
                lease_seconds: lease.seconds,
                duration_seconds: None,
            };
            let mut fi = FaultInjection::new(&name(drill, &p.suffix), spec);
            fi.labels_mut().insert(DRILL_UID_LABEL.into(), drill.uid().unwrap_or_default());
            fi
        })
        .collect()
}

/// The drill's FaultInjections as they are now.
pub async fn current(ctx: &Context, drill: &Drill) -> Result<Vec<FaultInjection>> {
    let selector = format!("{DRILL_UID_LABEL}={}", drill.uid().unwrap_or_default());
    Ok(api(ctx).list(&ListParams::default().labels(&selector)).await?.items)
}

/// True when every planned object exists and reports every selected pod injected.
pub fn all_active(current: &[FaultInjection], planned: usize) -> bool {
    let active = current.iter().filter(|fi| fi.status.as_ref().and_then(|s| s.phase) == Some(InjectionPhase::Active));
    planned > 0 && current.len() == planned && active.count() == planned
}

/// Deletes the drill's FaultInjections (their finalizers revert the pods); true once none is left.
pub async fn remove(ctx: &Context, drill: &Drill) -> Result<bool> {
    let left = current(ctx, drill).await?;
    for fi in left.iter().filter(|fi| fi.metadata.deletion_timestamp.is_none()) {
        api(ctx).delete(&fi.name_any(), &DeleteParams::default()).await?;
    }
    Ok(left.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use firedrill_drill::{self as engine, Draw};

    fn of_draw(draw: &Draw) -> Vec<Planned> {
        plan(&draw.fault_sets(), &draw.replicas)
    }

    fn scenario(name: &str) -> engine::Scenario {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../scenarios/{name}.yaml"));
        engine::Scenario::from_yaml(name, &std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn one_object_per_service_when_all_replicas_match() {
        let s = scenario("product-pages-slow-teams-paged");
        let planned = of_draw(&Draw::of_culprit(&s, "warehouse-cpu", 7).unwrap());
        let suffixes: Vec<&str> = planned.iter().map(|p| p.suffix.as_str()).collect();
        assert_eq!(suffixes, ["checkout", "pricing", "warehouse"], "the culprit, the gap and the decoy");
        assert_eq!(planned[2].labels, BTreeMap::from([(SERVICE_LABEL.to_string(), "warehouse".to_string())]));
        assert_eq!(planned[2].faults.len(), 1);
        assert_eq!(planned[0].faults, s.decoys[0].faults, "the decoy is delivered like any fault");
    }

    /// The typed object applies exactly the fields the operator owns: no `status`, no nulls,
    /// which server-side apply would take as "remove this field".
    #[test]
    fn the_applied_object_carries_only_what_the_operator_owns() {
        let s = scenario("product-pages-slow-teams-paged");
        let planned = of_draw(&Draw::of_culprit(&s, "warehouse-cpu", 7).unwrap());
        let mut drill = Drill::new(
            "game-day",
            crate::crd::DrillSpec {
                from: vec![],
                time_limit_seconds: None,
                mode: Default::default(),
                teams: Vec::new(),
                draw_secret: None,
                warm_up_seconds: None,
            },
        );
        drill.metadata.namespace = Some("lab".into());
        drill.metadata.uid = Some("0123456789abcdef".into());
        let warehouse = planned.iter().position(|p| p.suffix == "warehouse").unwrap();
        let fi =
            serde_json::to_value(&objects(&drill, &planned[warehouse..=warehouse], firedrill_drill::LEASE)[0]).unwrap();
        let expected = serde_json::json!({
            "apiVersion": "firedrill.dev/v1alpha1", "kind": "FaultInjection",
            "metadata": { "name": "drill-01234567-warehouse", "labels": { DRILL_UID_LABEL: "0123456789abcdef" } },
            "spec": {
                "selector": { "namespace": "lab", "matchLabels": { SERVICE_LABEL: "warehouse" }, "mode": "All" },
                "faults": serde_json::to_value(&planned[warehouse].faults).unwrap(),
                "leaseSeconds": firedrill_drill::LEASE.seconds,
            }
        });
        assert_eq!(fi, expected);
    }

    #[test]
    fn one_object_per_replica_when_one_replica_is_the_culprit() {
        let s = scenario("product-pages-partly-failing");
        let planned = of_draw(&Draw::of_culprit(&s, "replica-1-slow", 7).unwrap());
        let culprit = planned.iter().find(|p| p.labels.get(REPLICA_LABEL).map(String::as_str) == Some("1"));
        let culprit = culprit.unwrap_or_else(|| panic!("no per-replica object in {planned:?}"));
        assert_eq!(culprit.suffix, "inventory-1");
        assert!(!planned.iter().any(|p| p.suffix == "inventory-0"), "healthy replicas get no object: {planned:?}");
    }
}
