//! One FaultInjection reconcile: check the blast radius, select pods, deliver, record.
//!
//! Every reconcile re-delivers the set to every chosen pod: that is the lease renewal, and it
//! also heals pods that restarted, moved, or lost their faults. The requeue interval is a
//! third of the lease, so two renewals can fail before a pod's lease runs out.

use std::sync::Arc;
use std::time::Duration;

use firedrill_fault::{FaultSet, parse_fault_set};
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::ListParams;
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType};
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;

use super::deliver::{inject, release};
use super::generation::{self, GenerationError};
use super::select::{namespace_opted_in, select};
use super::status::{self, condition, now, phase_of, seconds_between};
use crate::context::Context;
use crate::crd::{FaultInjection, FaultInjectionStatus, InjectionPhase, PodRecord, PodState};
use crate::error::Result;
use crate::{INJECTABLE_LABEL, LAB_LABEL};

/// While some pod is not yet injected, look again soon.
const RETRY: Duration = Duration::from_secs(2);
/// Gone/recovered pod records kept in status.
const MAX_HISTORY: usize = 50;

pub async fn apply(cached: Arc<FaultInjection>, ctx: &Context) -> Result<Action> {
    // The status carries history (records of gone pods, first injection times) that the next
    // status is built from, so read it fresh: the watch cache may still hold an older status.
    let Some(fi) = api(&cached, ctx).get_opt(&cached.name_any()).await? else { return Ok(Action::await_change()) };
    if fi.status.as_ref().and_then(|s| s.all_acknowledged_at.as_ref()).is_none() {
        let mut seen = ctx.first_seen.lock().expect("first_seen lock");
        seen.entry(fi.uid().unwrap_or_default()).or_insert_with(std::time::Instant::now);
    }
    let set = match fault_set(&fi) {
        Ok(set) => set,
        Err(Unfit::Faults(e)) => return refuse(&fi, ctx, "InvalidFaults", format!("spec.{e}")).await,
        Err(Unfit::Generation(e)) => return refuse(&fi, ctx, e.reason(), e.to_string()).await,
    };
    let ns = &fi.spec.selector.namespace;
    let namespace = Api::<Namespace>::all(ctx.client.clone()).get_opt(ns).await?;
    if !namespace.as_ref().is_some_and(namespace_opted_in) {
        let why =
            format!("namespace {ns} is not labelled {LAB_LABEL}=true; the operator only touches opted-in namespaces");
        return refuse(&fi, ctx, "NamespaceNotOptedIn", why).await;
    }
    if let Some(expires) = expires_at(&fi).filter(|t| t.0 <= now().0) {
        return expire(&fi, ctx, expires).await;
    }
    let pods = list_pods(&fi, ctx).await?;
    let selection = select(&fi.spec.selector, &fi.uid().unwrap_or_default(), &pods);
    if selection.chosen.is_empty() && !selection.refused.is_empty() {
        let why = format!("pods {} lack the label {INJECTABLE_LABEL}=true", selection.refused.join(", "));
        return refuse(&fi, ctx, "PodsNotInjectable", why).await;
    }
    let token = ctx.admin_token().await?;
    let previous = previous_records(&fi);
    let mut records = inject(ctx, &token, &set, &selection.chosen, &previous).await;
    records.extend(release(ctx, &token, &previous, &selection.chosen, &pods).await);
    let status = active_status(&fi, records, selection.chosen.len(), &selection.refused);
    record_transition(&fi, ctx, &status).await;
    status::write(&api(&fi, ctx), &fi, &status).await?;
    let settled = status.phase == Some(InjectionPhase::Active);
    Ok(Action::requeue(next_wakeup(&fi, settled)))
}

/// Why a FaultInjection's spec cannot be delivered.
#[derive(Debug)]
pub enum Unfit {
    Faults(firedrill_fault::FaultError),
    Generation(GenerationError),
}

/// The fault-set document as sent: the spec's faults with the object's generation (see
/// [`generation`](super::generation) for how it orders documents at the agents).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document<'a> {
    generation: u64,
    lease_seconds: u32,
    faults: &'a [serde_json::Value],
}

/// The document delivered to agents, checked by the fault crate's strict parser (which names
/// the bad field: `faults[1].delayMs`).
pub fn fault_set(fi: &FaultInjection) -> Result<FaultSet, Unfit> {
    let generation = generation::of(fi.meta().creation_timestamp.as_ref(), fi.meta().generation);
    let doc = Document {
        generation: generation.map_err(Unfit::Generation)?,
        lease_seconds: fi.spec.lease_seconds,
        faults: &fi.spec.faults,
    };
    let body = serde_json::to_vec(&doc).expect("a fault document serialises");
    parse_fault_set(&body).map_err(Unfit::Faults)
}

fn api(fi: &FaultInjection, ctx: &Context) -> Api<FaultInjection> {
    Api::namespaced(ctx.client.clone(), &fi.namespace().unwrap_or_default())
}

fn previous_records(fi: &FaultInjection) -> Vec<PodRecord> {
    fi.status.as_ref().map(|s| s.pods.clone()).unwrap_or_default()
}

async fn list_pods(fi: &FaultInjection, ctx: &Context) -> Result<Vec<Pod>> {
    let selector = &fi.spec.selector;
    let labels: Vec<String> = selector.match_labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let params = ListParams::default().labels(&labels.join(","));
    Ok(Api::<Pod>::namespaced(ctx.client.clone(), &selector.namespace).list(&params).await?.items)
}

fn expires_at(fi: &FaultInjection) -> Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time> {
    let created = fi.meta().creation_timestamp.as_ref()?;
    let secs = fi.spec.duration_seconds?;
    Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
        created.0 + k8s_openapi::jiff::SignedDuration::from_secs(secs.into()),
    ))
}

fn active_status(
    fi: &FaultInjection,
    records: Vec<PodRecord>,
    selected: usize,
    refused: &[String],
) -> FaultInjectionStatus {
    let old = fi.status.clone().unwrap_or_default();
    let observed = fi.meta().generation;
    let phase = phase_of(&records, selected);
    let injected = records.iter().filter(|r| r.state == PodState::Injected).count();
    let ready = phase == InjectionPhase::Active;
    let message = format!("{injected} of {selected} selected pods acknowledged the faults");
    let mut conditions = vec![condition(
        &old.conditions,
        "Ready",
        ready,
        if ready { "Injected" } else { "Injecting" },
        message,
        observed,
    )];
    if !refused.is_empty() {
        let why =
            format!("matched but not injectable (no {INJECTABLE_LABEL}=true), left alone: {}", refused.join(", "));
        conditions.push(condition(&old.conditions, "PodsRefused", true, "PodsNotInjectable", why, observed));
    }
    let all_acknowledged_at = old.all_acknowledged_at.clone().or_else(|| ready.then(now));
    let records = bounded(records);
    FaultInjectionStatus {
        phase: Some(phase),
        observed_generation: observed,
        selected_pods: selected as u32,
        injected_pods: injected as u32,
        all_acknowledged_at,
        expires_at: expires_at(fi),
        pods: records,
        conditions,
    }
}

/// Keeps every live record and the most recent [`MAX_HISTORY`] gone or recovered ones, so a
/// long-running injection over churning pods keeps a bounded status.
fn bounded(records: Vec<PodRecord>) -> Vec<PodRecord> {
    let (live, mut past): (Vec<_>, Vec<_>) =
        records.into_iter().partition(|r| !matches!(r.state, PodState::Gone | PodState::Recovered));
    past.sort_by_key(|r| std::cmp::Reverse(r.recovered_at.as_ref().map(|t| t.0)));
    past.truncate(MAX_HISTORY);
    live.into_iter().chain(past).collect()
}

/// Events and the latency metric, once per transition (not on every renewal).
async fn record_transition(fi: &FaultInjection, ctx: &Context, status: &FaultInjectionStatus) {
    let before = fi.status.as_ref().and_then(|s| s.all_acknowledged_at.clone());
    if let (None, Some(at)) = (before, &status.all_acknowledged_at) {
        // Seen by this process since creation: sub-second precision; else (restarted
        // operator) fall back to the one-second-resolution creationTimestamp.
        let seen = ctx.first_seen.lock().expect("first_seen lock").remove(&fi.uid().unwrap_or_default());
        match (seen, &fi.meta().creation_timestamp) {
            (Some(seen), _) => ctx.metrics.injection_latency.observe(seen.elapsed().as_secs_f64()),
            (None, Some(created)) => ctx.metrics.injection_latency.observe(seconds_between(created, at)),
            (None, None) => {}
        }
        let note = format!("{} pods acknowledged the faults", status.injected_pods);
        publish(fi, ctx, EventType::Normal, "Injected", note).await;
    }
}

/// Touches nothing (and reverts whatever was touched before), says why in status and an event.
async fn refuse(fi: &FaultInjection, ctx: &Context, reason: &str, message: String) -> Result<Action> {
    let records = revert_records(fi, ctx).await;
    let was_refused = fi.status.as_ref().and_then(|s| s.phase) == Some(InjectionPhase::Refused);
    if !was_refused {
        publish(fi, ctx, EventType::Warning, reason, message.clone()).await;
    }
    status::write(&api(fi, ctx), fi, &status::refused(fi, records, reason, message)).await?;
    Ok(Action::requeue(Duration::from_secs(60)))
}

async fn expire(
    fi: &FaultInjection,
    ctx: &Context,
    at: k8s_openapi::apimachinery::pkg::apis::meta::v1::Time,
) -> Result<Action> {
    let records = revert_records(fi, ctx).await;
    let mut status = fi.status.clone().unwrap_or_default();
    let observed = fi.meta().generation;
    let message = format!("durationSeconds passed at {}; faults reverted", at.0);
    status.conditions = vec![condition(&status.conditions, "Ready", false, "Expired", message, observed)];
    status.phase = Some(InjectionPhase::Expired);
    status.injected_pods = 0;
    status.pods = records;
    status::write(&api(fi, ctx), fi, &status).await?;
    Ok(Action::await_change())
}

/// Reverts every pod this object touched, best effort (leases cover what fails).
pub async fn revert_records(fi: &FaultInjection, ctx: &Context) -> Vec<PodRecord> {
    let previous = previous_records(fi);
    if previous.iter().all(|r| matches!(r.state, PodState::Gone | PodState::Recovered)) {
        return previous;
    }
    let Ok(token) = ctx.admin_token().await else { return previous };
    let pods = list_pods(fi, ctx).await.unwrap_or_default();
    release(ctx, &token, &previous, &[], &pods).await
}

pub async fn publish(fi: &FaultInjection, ctx: &Context, type_: EventType, reason: &str, note: String) {
    let event = Event { type_, reason: reason.into(), note: Some(note), action: "Reconcile".into(), secondary: None };
    if let Err(e) = ctx.recorder.publish(&event, &fi.object_ref(&())).await {
        tracing::warn!(error = %e, "publishing an event failed");
    }
}

fn next_wakeup(fi: &FaultInjection, settled: bool) -> Duration {
    let renew = firedrill_drill::Lease::of(fi.spec.lease_seconds).renew_every;
    let wake = if settled { renew } else { RETRY.min(renew) };
    // Wake up for `durationSeconds` too, so expiry reverts on time rather than at a renewal.
    let until_expiry = expires_at(fi).map(|t| t.0.duration_since(now().0).unsigned_abs());
    until_expiry.map_or(wake, |d| wake.min(d + Duration::from_millis(50)))
}
