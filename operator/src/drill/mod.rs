//! The Drill controller: plays one round of a scenario with the drill engine.
//!
//! On the first reconcile it draws a culprit and stores the engine's record in a Secret in the
//! control namespace (the truth). Every reconcile then runs one step of the engine's drill
//! driver over the cluster ([`delivery`]): FaultInjections for the draw, the clock started once
//! every one is active, loadgen steered to the scenario's traffic, signals watched, the faults
//! removed once the drill is solved or out of time. Diagnoses and Hints are judged with the
//! engine. Every step reads its state back from the API server, so a restarted operator
//! continues where the last one stopped.

#[cfg(test)]
mod cross_delivery;
pub mod delivery;
pub mod faults;
pub mod hints;
pub mod judge;
pub mod truth;
pub mod view;

use std::sync::Arc;
use std::time::Duration;

use firedrill_drill::driver::{DriveError, Trouble};
use firedrill_drill::{Phase, Timestamp};
use futures::StreamExt;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event, EventType};
use kube::runtime::finalizer::{Event as Finalizer, finalizer};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Api, Resource, ResourceExt};

use crate::context::Context;
use crate::crd::{Diagnosis, Drill, Hint};
use crate::error::{Error, Result};

mod start;

pub const FINALIZER: &str = "firedrill.dev/drill";
const CONTROLLER: &str = "drill";
/// How often a running drill is reconciled (renewals, timeouts) when nothing wakes it.
const ACTIVE_REQUEUE: Duration = Duration::from_secs(5);
/// How often a deleted drill looks again whether its FaultInjections have reverted.
const REVERT_POLL: Duration = Duration::from_secs(1);

pub fn now() -> Timestamp {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis();
    Timestamp::from_millis(ms as u64)
}

pub async fn reconcile(drill: Arc<Drill>, ctx: Arc<Context>) -> Result<Action> {
    let _timer = ctx.metrics.reconcile(CONTROLLER);
    if let Some(wait) = reverting(&drill, &ctx).await? {
        return Ok(wait);
    }
    let api: Api<Drill> = Api::namespaced(ctx.client.clone(), &drill.namespace().unwrap_or_default());
    finalizer(&api, FINALIZER, drill, |event| async {
        match event {
            Finalizer::Apply(drill) => apply(drill, &ctx).await,
            Finalizer::Cleanup(drill) => cleanup(drill, &ctx).await,
        }
    })
    .await
    .map_err(|e| Error::Finalizer(Box::new(e)))
}

async fn apply(drill: Arc<Drill>, ctx: &Context) -> Result<Action> {
    let now = now();
    let (mut truth, version) = match truth::load(ctx, &drill).await? {
        Some(found) => found,
        None => match start::start(ctx, &drill, now).await? {
            Ok(started) => started,
            Err(refusal) => return start::refuse(ctx, &drill, refusal).await,
        },
    };
    let changes = |t: &truth::Truth| (t.drill.phase(), t.judged.len(), t.hints.len(), t.drill.signals_seen().len());
    let before = changes(&truth);
    let step = drive(ctx, &drill, &mut truth.drill, now).await?;
    let hints = hints_of(ctx, &drill).await?;
    hints::answer_pending(&mut truth, &hints, now);
    let diagnoses = diagnoses_of(ctx, &drill).await?;
    judge::judge_pending(&mut truth, &diagnoses, now);
    truth.drill.tick(now)?;
    if before != changes(&truth) {
        truth::save(ctx, &drill, &truth, &version).await?;
    }
    if before.0 != truth.drill.phase() {
        announce(ctx, &drill, truth.drill.phase()).await;
    }
    judge::mirror(ctx, &diagnoses, &truth).await?;
    hints::mirror(ctx, &hints, &truth).await?;
    let conditions = vec![readiness(&drill, truth.drill.phase())];
    view::write(ctx, &drill, &view::status(&drill, &truth, now, conditions)).await?;
    ctx.screen.update(&drill.uid().unwrap_or_default(), &truth.drill);
    Ok(match truth.drill.phase() {
        Phase::Reverted | Phase::Debriefed => Action::await_change(),
        // A diagnosis just ended it: come back at once to revert.
        phase if phase != step.phase => Action::requeue(Duration::from_secs(1)),
        _ => Action::requeue(step.wake_at.since(now).clamp(Duration::from_millis(100), ACTIVE_REQUEUE)),
    })
}

/// One step of the engine's driver for this Drill, with what this process remembers of its
/// earlier deliveries (a restarted operator starts afresh and simply delivers again).
async fn drive(
    ctx: &Context,
    drill: &Drill,
    engine: &mut firedrill_drill::Drill,
    now: Timestamp,
) -> Result<firedrill_drill::driver::Step<Error>> {
    let key = drill.uid().unwrap_or_default();
    let mut driver = ctx.drivers.lock().expect("driver map").remove(&key).unwrap_or_default();
    let mut host = delivery::Delivery::new(ctx, drill, engine.draw().replicas.clone());
    let step = driver.step(engine, &mut host, now).await;
    if !matches!(engine.phase(), Phase::Reverted | Phase::Debriefed) {
        ctx.drivers.lock().expect("driver map").insert(key, driver);
    }
    let step = step.map_err(|e| match e {
        DriveError::Drill(e) => e.into(),
        DriveError::Deliver(e) | DriveError::Revert(e) => e,
    })?;
    for trouble in &step.troubles {
        match trouble {
            Trouble::Traffic(e) => tracing::warn!(error = %e, "setting the drill's traffic failed"),
            Trouble::Signal { name, error } => tracing::debug!(signal = %name, %error, "evaluating a signal failed"),
        }
    }
    Ok(step)
}

/// While a deleted drill's FaultInjections are still reverting (their finalizers reach the
/// pods), deletes them and waits: a requeue, not a failure. This runs before kube's finalizer
/// helper because the helper removes the finalizer as soon as the cleanup returns `Ok`.
async fn reverting(drill: &Drill, ctx: &Context) -> Result<Option<Action>> {
    let deleting = drill.metadata.deletion_timestamp.is_some() && drill.finalizers().iter().any(|f| f == FINALIZER);
    if deleting && !faults::remove(ctx, drill).await? {
        return Ok(Some(Action::requeue(REVERT_POLL)));
    }
    Ok(None)
}

/// Once the drill's FaultInjections are gone (see `reverting`), hands the traffic back if the
/// drill was still running, then deletes the truth.
async fn cleanup(drill: Arc<Drill>, ctx: &Context) -> Result<Action> {
    if let Some((truth, _)) = truth::load(ctx, &drill).await?
        && truth.drill.wanted_traffic(now()).is_some()
    {
        let mut host = delivery::Delivery::new(ctx, &drill, truth.drill.draw().replicas.clone());
        if let Err(e) = firedrill_drill::Host::set_traffic(&mut host, None).await {
            tracing::warn!(error = %e, "handing the traffic back failed");
        }
    }
    ctx.drivers.lock().expect("driver map").remove(&drill.uid().unwrap_or_default());
    ctx.screen.forget(&drill.uid().unwrap_or_default());
    truth::delete(ctx, &drill).await?;
    Ok(Action::await_change())
}

async fn diagnoses_of(ctx: &Context, drill: &Drill) -> Result<Vec<Diagnosis>> {
    let api: Api<Diagnosis> = Api::namespaced(ctx.client.clone(), &drill.namespace().unwrap_or_default());
    let all = api.list(&Default::default()).await?.items;
    Ok(all.into_iter().filter(|d| d.spec.drill == drill.name_any()).collect())
}

async fn hints_of(ctx: &Context, drill: &Drill) -> Result<Vec<Hint>> {
    let api: Api<Hint> = Api::namespaced(ctx.client.clone(), &drill.namespace().unwrap_or_default());
    let all = api.list(&Default::default()).await?.items;
    Ok(all.into_iter().filter(|h| h.spec.drill == drill.name_any()).collect())
}

/// An event on the Drill per phase change (after the truth is saved, so at most once per
/// change barring a crash in between). Players read these: no services, no faults.
async fn announce(ctx: &Context, drill: &Drill, phase: Phase) {
    let (reason, note) = match phase {
        Phase::Active => ("Started", "the faults are in place; the clock is running"),
        Phase::Solved => ("Solved", "a correct diagnosis ended the drill"),
        Phase::Expired => ("TimeUp", "the time limit passed"),
        Phase::Reverted => ("Reverted", "the faults were removed; the lab is healthy"),
        _ => return,
    };
    let event = Event {
        type_: EventType::Normal,
        reason: reason.into(),
        note: Some(note.into()),
        action: "Play".into(),
        secondary: None,
    };
    if let Err(e) = ctx.recorder.publish(&event, &drill.object_ref(&())).await {
        tracing::warn!(error = %e, "publishing a drill event failed");
    }
}

/// The `Ready` condition. Players read it, so it never names services or faults.
fn readiness(drill: &Drill, phase: Phase) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition {
    let previous = drill.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    let (ok, reason, message) = match phase {
        Phase::Pending | Phase::WarmUp => {
            (false, "InjectingFaults", "waiting for the faults to be in place; the clock starts then")
        }
        Phase::Active => (true, "Running", "the incident is live; submit a Diagnosis"),
        Phase::Solved | Phase::Expired => (false, "Reverting", "the drill is over; removing the faults"),
        Phase::Reverted | Phase::Debriefed => (false, "Finished", "the drill is over and the lab is healthy"),
    };
    crate::injection::status_condition(&previous, "Ready", ok, reason, message.into(), drill.metadata.generation)
}

pub fn error_policy(drill: Arc<Drill>, error: &Error, ctx: Arc<Context>) -> Action {
    tracing::warn!(name = %drill.name_any(), %error, "drill reconcile failed");
    ctx.metrics.failure(CONTROLLER, error.metric_label());
    Action::requeue(Duration::from_secs(1))
}

/// Runs the controller until `shutdown` resolves. Diagnoses and Hints wake the Drill they name.
pub async fn run(ctx: Arc<Context>, shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static) {
    let client = ctx.client.clone();
    let (drills, diagnoses, hints) = match &ctx.config.lab_namespace {
        Some(ns) => {
            (Api::namespaced(client.clone(), ns), Api::namespaced(client.clone(), ns), Api::namespaced(client, ns))
        }
        None => (Api::all(client.clone()), Api::all(client.clone()), Api::all(client)),
    };
    let controller = Controller::<Drill>::new(drills, watcher::Config::default());
    let ready = controller.store();
    controller
        .watches(diagnoses, watcher::Config::default(), |d: Diagnosis| {
            d.namespace().map(|ns| ObjectRef::<Drill>::new(&d.spec.drill).within(&ns))
        })
        .watches(hints, watcher::Config::default(), |h: Hint| {
            h.namespace().map(|ns| ObjectRef::<Drill>::new(&h.spec.drill).within(&ns))
        })
        .graceful_shutdown_on(crate::graceful_shutdown(shutdown, ready))
        .run(reconcile, error_policy, ctx)
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::debug!(error = %e, "drill reconcile error");
            }
        })
        .await;
}
