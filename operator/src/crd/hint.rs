//! Hint: a player's (or team's) request for the drill's next hint. The operator unlocks it
//! with the drill engine (once its time has come; it costs points) and writes the text into
//! the status. Immutable once created: a refused request ("the next hint unlocks in 40 s")
//! is retried with a new Hint.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A request for the next hint of a Drill.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "firedrill.dev",
    version = "v1alpha1",
    kind = "Hint",
    plural = "hints",
    namespaced,
    status = "HintStatus",
    shortname = "hn",
    category = "firedrill",
    doc = "A request for a Drill's next hint; the status carries its text and what it cost.",
    printcolumn(name = "Drill", type_ = "string", json_path = ".spec.drill"),
    printcolumn(name = "Player", type_ = "string", json_path = ".spec.player"),
    printcolumn(name = "Outcome", type_ = "string", json_path = ".status.outcome"),
    printcolumn(name = "Cost", type_ = "integer", json_path = ".status.cost"),
    printcolumn(name = "Text", type_ = "string", json_path = ".status.text", priority = 1)
)]
#[x_kube(validation = Rule::new("self == oldSelf").message("a Hint is immutable once created; create a new one"))]
#[serde(rename_all = "camelCase")]
pub struct HintSpec {
    /// The Drill's name, in the same namespace.
    #[x_kube(validation = Rule::new("size(self) > 0").message("spec.drill must name a drill"))]
    pub drill: String,
    #[x_kube(validation = Rule::new("size(self) > 0").message("spec.player must not be empty"))]
    pub player: String,
    /// In all-teams play, the team the hint is for (and charged to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
}

/// Whether the request got a hint; when refused (too early, or none left) `message` says why.
// No doc comments on the variants: schemars would turn the enum into a non-structural `oneOf`.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum HintOutcome {
    Unlocked,
    Refused,
}

/// What the request got.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HintStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<HintOutcome>,
    /// The hint, when unlocked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Points it costs the contestant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<u32>,
    /// Which of the scenario's hints it is, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replied_at: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
