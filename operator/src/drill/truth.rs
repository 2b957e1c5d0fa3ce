//! The drill's truth: the engine's whole record (scenario, seed, drawn culprit, diagnoses)
//! and the judged Diagnosis objects, kept in a Secret in the control namespace that the
//! player role cannot read. Once the drill is over the Secret also holds its debrief, in
//! Markdown, for the facilitator. Everything a restarted operator needs to continue the drill
//! is here or in the Drill object; writes use the Secret's resourceVersion, so two operators
//! can never both judge the same diagnosis.

use std::collections::BTreeMap;

use firedrill_drill::{self as engine, FaultClass, Phase, Verdict};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, ResourceExt};
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::crd::{Drill, HintOutcome, Refusable};
use crate::error::{Error, Result};

/// Label on everything the operator creates for one drill.
pub const DRILL_UID_LABEL: &str = "firedrill.dev/drill-uid";
const KEY: &str = "truth.json";
/// The debrief's key, present once the drill has reverted.
pub const DEBRIEF_KEY: &str = "debrief.md";

/// What the Secret holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Truth {
    pub drill: engine::Drill,
    /// Judged Diagnosis objects by name: judging happens once, whatever restarts.
    pub judged: BTreeMap<String, Judged>,
    /// Answered Hint objects by name, likewise once each.
    #[serde(default)]
    pub hints: BTreeMap<String, Answered>,
}

/// One answered Hint request, as shown in the Hint's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answered {
    pub outcome: HintOutcome,
    pub text: Option<String>,
    pub cost: Option<u32>,
    pub number: Option<u32>,
    pub message: Option<String>,
    pub at_ms: u64,
}

/// One judged Diagnosis, as shown in the Drill's and the Diagnosis's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Judged {
    pub player: String,
    pub team: Option<String>,
    pub service: String,
    pub fault_class: FaultClass,
    /// The engine's verdict, or refused (with `message`) when the engine would not judge.
    pub verdict: Refusable<Verdict>,
    pub message: Option<String>,
    pub at_ms: u64,
    pub score: u32,
}

/// The Secret's name for a drill.
pub fn secret_name(drill: &Drill) -> String {
    format!("drill-truth-{}", drill.uid().unwrap_or_default())
}

fn api(ctx: &Context) -> Api<Secret> {
    Api::namespaced(ctx.client.clone(), &ctx.config.control_namespace)
}

/// The stored truth and the Secret's resourceVersion, if the drill has started.
pub async fn load(ctx: &Context, drill: &Drill) -> Result<Option<(Truth, String)>> {
    let name = secret_name(drill);
    let Some(secret) = api(ctx).get_opt(&name).await? else { return Ok(None) };
    let version = secret.resource_version().unwrap_or_default();
    let Some(bytes) = secret.data.and_then(|d| d.get(KEY).cloned()) else {
        return Err(Error::TruthMissing { secret: name, key: KEY });
    };
    let truth = serde_json::from_slice(&bytes.0).map_err(|source| Error::TruthCorrupt { secret: name, source })?;
    Ok(Some((truth, version)))
}

/// Stores a new truth; `None` when another writer created it first (load it again).
pub async fn create(ctx: &Context, drill: &Drill, truth: &Truth) -> Result<Option<String>> {
    match api(ctx).create(&PostParams::default(), &secret(ctx, drill, truth, None)).await {
        Ok(s) => Ok(Some(s.resource_version().unwrap_or_default())),
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Replaces the truth if nobody wrote it since `version`; returns the new version.
pub async fn save(ctx: &Context, drill: &Drill, truth: &Truth, version: &str) -> Result<String> {
    let secret = secret(ctx, drill, truth, Some(version.to_string()));
    let saved = api(ctx).replace(&secret_name(drill), &PostParams::default(), &secret).await?;
    Ok(saved.resource_version().unwrap_or_default())
}

pub async fn delete(ctx: &Context, drill: &Drill) -> Result<()> {
    match api(ctx).delete(&secret_name(drill), &Default::default()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The facilitator's debrief: the truth, the timeline of signals, hints and diagnoses, the
/// queries that would have isolated the culprit, the scores. When the operator watches no
/// backend it never knows when a signal showed, so the timeline then has no signal rows
/// rather than a "did not show" row for every one, and says so.
pub fn debrief(drill: &engine::Drill, signals_watched: bool) -> String {
    let mut debrief = engine::Debrief::of(drill);
    if signals_watched {
        return debrief.to_markdown();
    }
    debrief.signals_never_seen.clear();
    debrief.to_markdown()
        + "\n_Signals were not watched (the operator has no backend addresses), so the timeline has no signal rows._\n"
}

fn secret(ctx: &Context, drill: &Drill, truth: &Truth, resource_version: Option<String>) -> Secret {
    let json = serde_json::to_vec(truth).expect("the truth serialises");
    let mut data = BTreeMap::from([(KEY.to_string(), ByteString(json))]);
    if matches!(truth.drill.phase(), Phase::Reverted | Phase::Debriefed) {
        data.insert(
            DEBRIEF_KEY.to_string(),
            ByteString(debrief(&truth.drill, super::delivery::signals_watched(ctx)).into_bytes()),
        );
    }
    let labels = BTreeMap::from([(DRILL_UID_LABEL.to_string(), drill.uid().unwrap_or_default())]);
    Secret {
        metadata: ObjectMeta {
            name: Some(secret_name(drill)),
            labels: Some(labels),
            resource_version,
            ..Default::default()
        },
        data: Some(data),
        type_: Some("Opaque".into()),
        ..Default::default()
    }
}
