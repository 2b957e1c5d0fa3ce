//! Drill and Diagnosis: what players see and create in the lab namespace.
//!
//! Neither type may hold the truth. The drawn scenario, culprit and seed live in a Secret in
//! the control namespace (see `drill::truth`). A facilitator's choice of scenario and a replay
//! seed are therefore named by a Secret too: players read the Drill, and the scenario files
//! are public, so a scenario or a seed in the spec would give the answer away.

use firedrill_drill::{FaultClass, Phase, Verdict};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Refusable;

/// One played round of a scenario.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "firedrill.dev",
    version = "v1alpha1",
    kind = "Drill",
    namespaced,
    status = "DrillStatus",
    shortname = "dr",
    category = "firedrill",
    doc = "A played round of a mystery scenario: the operator draws a scenario and a culprit, injects its faults into the lab, and judges Diagnoses.",
    printcolumn(name = "Incident", type_ = "string", json_path = ".status.title"),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(name = "Elapsed", type_ = "string", json_path = ".status.elapsed"),
    printcolumn(name = "Remaining", type_ = "string", json_path = ".status.remaining"),
    printcolumn(name = "Solved By", type_ = "string", json_path = ".status.winner"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[x_kube(validation = Rule::new("self == oldSelf").message("a Drill's spec is immutable; delete it and create a new one"))]
#[x_kube(validation = Rule::new("(self.mode == 'AllTeamsPlay') == (size(self.teams) > 0)").message("teams are required for mode AllTeamsPlay and not allowed for FirstCorrectWins"))]
#[serde(rename_all = "camelCase")]
pub struct DrillSpec {
    /// The pool the scenario is drawn from: names of Scenario objects in the operator's control
    /// namespace; empty (the default) draws from every installed Scenario. Players read this,
    /// so a pool of one is refused: a facilitator who picks the scenario names it in the
    /// `drawSecret`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(validation = Rule::new("size(self) != 1").message("spec.from names one scenario, which tells the players which it is; name it in the drawSecret's `scenario` key instead"))]
    #[x_kube(validation = Rule::new("self.all(n, size(n) > 0)").message("spec.from names must not be empty"))]
    pub from: Vec<String>,
    /// Overrides the scenario's time limit (60..=7200 seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 60 && self <= 7200").message("timeLimitSeconds must be between 60 and 7200"))]
    pub time_limit_seconds: Option<u32>,
    #[serde(default)]
    pub mode: DrillMode,
    /// The teams for `AllTeamsPlay`.
    #[serde(default)]
    pub teams: Vec<String>,
    /// Name of a Secret in the control namespace that players cannot read: its `scenario` key
    /// picks the scenario (a facilitator's choice; it must be in `from` when both are given),
    /// its `seed` key replays a past draw of scenario and culprit. Either key may be absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draw_secret: Option<String>,
    /// Seconds of baseline traffic at the scenario's load before the faults go in and the
    /// clock starts (0..=600; default 30, as on the local lab).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 0 && self <= 600").message("warmUpSeconds must be between 0 and 600"))]
    pub warm_up_seconds: Option<u32>,
}

/// How the round is won.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DrillMode {
    #[default]
    FirstCorrectWins,
    AllTeamsPlay,
}

/// The player-safe view of the round: never the culprit, never the seed.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DrillStatus {
    /// The engine's phase (`warm-up`, `active`, ...), or `refused` when the drill cannot start
    /// (the `Ready` condition says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Refusable<Phase>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub briefing: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_at: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Time>,
    /// `12m30s`, refreshed while the drill runs (for `kubectl get drills`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<String>,
    #[serde(default)]
    pub diagnoses: Vec<JudgedDiagnosis>,
    #[serde(default)]
    pub leaderboard: Vec<Standing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub winner: Option<String>,
    #[serde(default)]
    pub conditions: Vec<Condition>,
}

/// A diagnosis as judged, in submission order.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JudgedDiagnosis {
    /// The Diagnosis object's name.
    pub name: String,
    pub player: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    pub service: String,
    #[schemars(schema_with = "fault_class_schema")]
    pub fault_class: FaultClass,
    /// The engine's verdict, or `refused` (the Diagnosis's status says why).
    pub verdict: Refusable<Verdict>,
    pub at: Time,
}

/// One contestant's standing.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Standing {
    pub contestant: String,
    pub score: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_verdict: Option<Verdict>,
}

/// A player's (or team's) answer. Immutable once created.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "firedrill.dev",
    version = "v1alpha1",
    kind = "Diagnosis",
    plural = "diagnoses",
    namespaced,
    status = "DiagnosisStatus",
    shortname = "dx",
    category = "firedrill",
    doc = "A player's answer to a Drill: the service at fault and the fault class.",
    printcolumn(name = "Drill", type_ = "string", json_path = ".spec.drill"),
    printcolumn(name = "Player", type_ = "string", json_path = ".spec.player"),
    printcolumn(name = "Service", type_ = "string", json_path = ".spec.service"),
    printcolumn(name = "Class", type_ = "string", json_path = ".spec.faultClass"),
    printcolumn(name = "Verdict", type_ = "string", json_path = ".status.verdict"),
    printcolumn(name = "Score", type_ = "integer", json_path = ".status.score")
)]
#[x_kube(validation = Rule::new("self == oldSelf").message("a Diagnosis is immutable once created; create a new one"))]
#[serde(rename_all = "camelCase")]
pub struct DiagnosisSpec {
    /// The Drill's name, in the same namespace.
    #[x_kube(validation = Rule::new("size(self) > 0").message("spec.drill must name a drill"))]
    pub drill: String,
    #[x_kube(validation = Rule::new("size(self) > 0").message("spec.player must not be empty"))]
    pub player: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[x_kube(validation = Rule::new("size(self) > 0").message("spec.service must not be empty"))]
    pub service: String,
    #[schemars(schema_with = "fault_class_schema")]
    pub fault_class: FaultClass,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("size(self) <= 2000").message("note is limited to 2000 characters"))]
    pub note: Option<String>,
}

/// The judgement.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosisStatus {
    /// correct, partial, wrong, or refused (with `message`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Refusable<Verdict>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judged_at: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The classes as one string enum: the derived schema is a `oneOf` per documented variant,
/// which a structural CRD schema cannot hold.
fn fault_class_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let classes: Vec<&str> = FaultClass::ALL.iter().map(|c| c.as_str()).collect();
    schemars::json_schema!({ "type": "string", "enum": classes })
}
