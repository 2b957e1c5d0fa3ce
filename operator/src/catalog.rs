//! The Scenario controller: parses each installed scenario with the drill engine and reports
//! the result in status (title, culprit count, a `Valid` condition whose message carries the
//! engine's `file:line:column` errors), so a broken catalog entry shows up before a drill
//! tries to use it.

use std::sync::Arc;
use std::time::Duration;

use firedrill_drill as engine;
use futures::StreamExt;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use kube::{Api, ResourceExt};

use crate::context::Context;
use crate::crd::{Scenario, ScenarioStatus, apply_status};
use crate::error::{Error, Result};
use crate::injection::status_condition;

const CONTROLLER: &str = "scenario";

/// The status for a scenario's source text.
pub fn status_of(scenario: &Scenario) -> ScenarioStatus {
    let previous = scenario.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    let generation = scenario.metadata.generation;
    match engine::Scenario::from_yaml(&scenario.spec.file, &scenario.spec.source) {
        Ok(parsed) => ScenarioStatus {
            title: Some(parsed.title.clone()),
            culprits: Some(parsed.culprits.len() as u32),
            conditions: vec![status_condition(
                &previous,
                "Valid",
                true,
                "Parsed",
                "the scenario parses".into(),
                generation,
            )],
        },
        Err(errors) => ScenarioStatus {
            title: None,
            culprits: None,
            conditions: vec![status_condition(&previous, "Valid", false, "ParseError", errors.to_string(), generation)],
        },
    }
}

pub async fn reconcile(scenario: Arc<Scenario>, ctx: Arc<Context>) -> Result<Action> {
    let _timer = ctx.metrics.reconcile(CONTROLLER);
    let api: Api<Scenario> = Api::namespaced(ctx.client.clone(), &scenario.namespace().unwrap_or_default());
    apply_status(&api, &scenario.name_any(), &status_of(&scenario)).await?;
    Ok(Action::await_change())
}

pub fn error_policy(scenario: Arc<Scenario>, error: &Error, ctx: Arc<Context>) -> Action {
    tracing::warn!(name = %scenario.name_any(), %error, "scenario reconcile failed");
    ctx.metrics.failure(CONTROLLER, error.metric_label());
    Action::requeue(Duration::from_secs(5))
}

/// Runs the controller over the control namespace until `shutdown` resolves.
pub async fn run(ctx: Arc<Context>, shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static) {
    let scenarios = Api::<Scenario>::namespaced(ctx.client.clone(), &ctx.config.control_namespace);
    let controller = Controller::new(scenarios, watcher::Config::default());
    let ready = controller.store();
    controller
        .graceful_shutdown_on(crate::graceful_shutdown(shutdown, ready))
        .run(reconcile, error_policy, ctx)
        .for_each(|_| async {})
        .await;
}
