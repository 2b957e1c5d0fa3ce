//! The fault-set generation against a real chaos agent, which refuses a document older than
//! one it has applied: a FaultInjection edited for the 1,000th time and beyond is still
//! delivered, and a newer object aimed at the same pod wins over every edit of an older one.
//! No API server needed: the objects are built in memory with the metadata it would set.

use std::time::Duration;

use firedrill_operator::crd::FaultInjection;
use firedrill_operator::injection::agent::{AdminClient, ClientError};
use firedrill_operator::injection::reconcile::fault_set;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::json;

use crate::support::lab::{AGENT_TOKEN, service};

/// 2026-12-01T00:00:00Z, a whole second like every `creationTimestamp`.
const CREATED: i64 = 1_796_083_200;

/// A FaultInjection created at `created` whose spec has been written `edits` times.
fn injection(created: i64, edits: i64) -> FaultInjection {
    let mut fi: FaultInjection = serde_json::from_value(json!({
        "apiVersion": "firedrill.dev/v1alpha1", "kind": "FaultInjection",
        "metadata": { "name": "slow-inventory", "namespace": "fd-ctl" },
        "spec": {
            "selector": { "namespace": "fd-lab", "matchLabels": { "app": "inventory" }, "mode": "All" },
            "faults": [{ "kind": "latency", "delayMs": 250 }],
            "leaseSeconds": 30
        }
    }))
    .unwrap();
    fi.metadata.creation_timestamp = Some(Time(k8s_openapi::jiff::Timestamp::from_second(created).unwrap()));
    fi.metadata.generation = Some(edits);
    fi
}

#[tokio::test]
async fn the_agent_takes_every_edit_across_the_thousandth() {
    let svc = service("inventory").await;
    let agents = AdminClient::new(Duration::from_secs(2));
    let endpoint = svc.admin_addr.to_string();
    for edits in 990..=1_010 {
        let set = fault_set(&injection(CREATED, edits)).expect("a valid fault set");
        if let Err(e) = agents.put(&endpoint, AGENT_TOKEN, &set).await {
            panic!("edit {edits}: the agent refused generation {}: {e}", set.generation);
        }
        let applied = svc.agent.snapshot().set.as_ref().map(|s| s.generation);
        assert_eq!(applied, Some(set.generation), "edit {edits} is the active set");
    }
}

#[tokio::test]
async fn a_newer_object_wins_over_every_edit_of_an_older_one() {
    let svc = service("inventory").await;
    let agents = AdminClient::new(Duration::from_secs(2));
    let endpoint = svc.admin_addr.to_string();
    let older = fault_set(&injection(CREATED, 999)).unwrap();
    agents.put(&endpoint, AGENT_TOKEN, &older).await.expect("the older object is delivered first");
    let newer = fault_set(&injection(CREATED + 1, 1)).unwrap();
    agents.put(&endpoint, AGENT_TOKEN, &newer).await.expect("a newer object replaces it");
    let edited_again = fault_set(&injection(CREATED, 5_000)).unwrap();
    let refused = agents.put(&endpoint, AGENT_TOKEN, &edited_again).await;
    assert!(matches!(refused, Err(ClientError::Refused { .. })), "the older object's later edit is stale: {refused:?}");
    assert_eq!(svc.agent.snapshot().set.as_ref().map(|s| s.generation), Some(newer.generation));
}
