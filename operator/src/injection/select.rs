//! Which pods a FaultInjection touches. Pure functions over pods, so the blast-radius rules
//! (opted-in namespace, injectable label, mode) are unit-tested without a cluster.
//!
//! The pick for `One`/`Fixed`/`Percent` is stable across reconciles: pods are ordered by a
//! hash of (injection UID, pod name), so the same pods stay chosen while they live, and a
//! replacement pod takes a gone pod's place.

use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::ResourceExt;

use crate::crd::{PodSelector, SelectionMode};
use crate::{INJECTABLE_LABEL, LAB_LABEL};

/// Name of the container port the chaos agent's admin API listens on.
pub const ADMIN_PORT_NAME: &str = "admin";

/// A pod the selector matched and may be injected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub name: String,
    pub uid: String,
    /// `ip:port` of the admin API, once the pod runs, has an IP and names an `admin` port.
    pub endpoint: Option<String>,
}

/// The selector applied to the pods of its namespace.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub chosen: Vec<Candidate>,
    /// Matched pods without `firedrill.dev/injectable=true`: never touched.
    pub refused: Vec<String>,
}

/// True when the namespace opted in with `firedrill.dev/lab=true`.
pub fn namespace_opted_in(ns: &Namespace) -> bool {
    ns.labels().get(LAB_LABEL).is_some_and(|v| v == "true")
}

/// True when the pod carries every label of the selector.
pub fn matches(selector: &PodSelector, pod: &Pod) -> bool {
    pod.namespace().as_deref() == Some(selector.namespace.as_str())
        && selector.match_labels.iter().all(|(k, v)| pod.labels().get(k) == Some(v))
}

/// Applies the selector's mode to the matching pods (already listed by label).
pub fn select(selector: &PodSelector, salt: &str, pods: &[Pod]) -> Selection {
    let mut selection = Selection::default();
    let mut candidates = Vec::new();
    for pod in pods.iter().filter(|p| matches(selector, p) && p.metadata.deletion_timestamp.is_none()) {
        if pod.labels().get(INJECTABLE_LABEL).is_some_and(|v| v == "true") {
            candidates.push(candidate(pod));
        } else {
            selection.refused.push(pod.name_any());
        }
    }
    candidates.sort_by_key(|c| (stable_hash(salt, &c.name), c.name.clone()));
    candidates.truncate(count(selector.mode, selector.value, candidates.len()));
    candidates.sort_by(|a, b| a.name.cmp(&b.name));
    selection.chosen = candidates;
    selection.refused.sort();
    selection
}

/// How many of `n` pods the mode picks.
pub fn count(mode: SelectionMode, value: Option<u32>, n: usize) -> usize {
    let value = value.unwrap_or(0) as usize;
    match mode {
        SelectionMode::One => n.min(1),
        SelectionMode::All => n,
        SelectionMode::Fixed => n.min(value),
        SelectionMode::Percent => (n * value.min(100)).div_ceil(100),
    }
}

fn candidate(pod: &Pod) -> Candidate {
    Candidate { name: pod.name_any(), uid: pod.uid().unwrap_or_default(), endpoint: admin_endpoint(pod) }
}

/// `podIP:<admin port>` for a running pod, else `None`.
pub fn admin_endpoint(pod: &Pod) -> Option<String> {
    let status = pod.status.as_ref()?;
    if status.phase.as_deref() != Some("Running") {
        return None;
    }
    let ip = status.pod_ip.as_deref().filter(|ip| !ip.is_empty())?;
    let port = pod
        .spec
        .as_ref()?
        .containers
        .iter()
        .flat_map(|c| c.ports.iter().flatten())
        .find_map(|p| (p.name.as_deref() == Some(ADMIN_PORT_NAME)).then_some(p.container_port))?;
    Some(if ip.contains(':') { format!("[{ip}]:{port}") } else { format!("{ip}:{port}") })
}

/// FNV-1a: stable across releases and platforms, unlike `DefaultHasher`.
fn stable_hash(salt: &str, name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in salt.bytes().chain([0]).chain(name.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
#[path = "select_tests.rs"]
mod tests;
