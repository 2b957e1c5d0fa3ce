//! Scenario: the catalog entry, in the control namespace players cannot read.
//!
//! The spec carries the scenario file's text as written in `scenarios/`, not a re-typed copy:
//! the drill engine's parser is the one definition of the format (with a line and column for
//! every mistake), and the format's fault lists cannot be a structural CRD schema. The
//! operator parses the source and reports the result in status.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A scenario file installed into the cluster.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "firedrill.dev",
    version = "v1alpha1",
    kind = "Scenario",
    namespaced,
    status = "ScenarioStatus",
    shortname = "scn",
    category = "firedrill",
    doc = "A reusable incident recipe (docs/scenario-format.md), parsed by the drill engine.",
    printcolumn(name = "Title", type_ = "string", json_path = ".status.title"),
    printcolumn(name = "Culprits", type_ = "integer", json_path = ".status.culprits"),
    printcolumn(name = "Valid", type_ = "string", json_path = ".status.conditions[?(@.type==\"Valid\")].status")
)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioSpec {
    /// The file name, for error messages (`storefront-slow-flat-errors.yaml:14:7: ...`).
    #[x_kube(validation = Rule::new("size(self) > 0").message("spec.file must not be empty"))]
    pub file: String,
    /// The scenario file's YAML text.
    #[x_kube(validation = Rule::new("size(self) > 0 && size(self) <= 262144").message("spec.source must hold the scenario YAML (at most 256 KiB)"))]
    pub source: String,
}

/// The parse result.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub culprits: Option<u32>,
    #[serde(default)]
    pub conditions: Vec<Condition>,
}
