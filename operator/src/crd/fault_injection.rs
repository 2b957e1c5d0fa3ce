//! FaultInjection: "these pods carry these faults until then". The low-level desired state a
//! drill creates for its drawn culprit, and usable on its own as a plain chaos tool.
//!
//! The fault list is carried as JSON objects whose `kind` the API server checks (enum) and
//! whose parameters the operator checks with the fault crate's strict parser: a structural CRD
//! schema cannot express the fault document's internally tagged enum, and a strict Rust type
//! here would make one bad object break the controller's whole watch.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Desired state: which pods, which faults, how long.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "firedrill.dev",
    version = "v1alpha1",
    kind = "FaultInjection",
    namespaced,
    status = "FaultInjectionStatus",
    shortname = "fi",
    category = "firedrill",
    doc = "Delivers a fault document to the chaos agent of every selected pod, renews its lease, and reverts on deletion.",
    printcolumn(name = "Target", type_ = "string", json_path = ".spec.selector.namespace"),
    printcolumn(name = "Mode", type_ = "string", json_path = ".spec.selector.mode"),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(name = "Injected", type_ = "integer", json_path = ".status.injectedPods"),
    printcolumn(name = "Selected", type_ = "integer", json_path = ".status.selectedPods"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct FaultInjectionSpec {
    /// Which pods receive the faults. Immutable: to move a fault, create a new object.
    #[x_kube(validation = Rule::new("self == oldSelf").message("spec.selector is immutable; delete and re-create the FaultInjection"))]
    pub selector: PodSelector,
    /// The faults, in the fault document format (docs/faults.md); `kind` selects the fault.
    #[schemars(schema_with = "fault_list_schema")]
    pub faults: Vec<serde_json::Value>,
    /// Seconds each delivery stays active in the agent unless renewed (5..=3600). The operator
    /// renews at a third of it, so a stopped operator leaves a healthy system within one lease.
    #[serde(default = "default_lease")]
    #[x_kube(validation = Rule::new("self >= 5 && self <= 3600").message("leaseSeconds must be between 5 and 3600"))]
    pub lease_seconds: u32,
    /// Revert after this many seconds from creation (absent: until deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 1 && self <= 86400").message("durationSeconds must be between 1 and 86400"))]
    pub duration_seconds: Option<u32>,
}

fn default_lease() -> u32 {
    firedrill_drill::LEASE.seconds
}

/// Namespace + labels, and how many of the matching pods to pick.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("(self.mode == 'Fixed' || self.mode == 'Percent') == has(self.value)").message("value is required for mode Fixed and Percent, and not allowed otherwise"),
    validation = Rule::new("self.mode != 'Percent' || (self.value >= 1 && self.value <= 100)").message("for mode Percent, value must be between 1 and 100"),
    validation = Rule::new("self.mode != 'Fixed' || self.value >= 1").message("for mode Fixed, value must be at least 1")
)]
pub struct PodSelector {
    /// The lab namespace; it must carry the label `firedrill.dev/lab=true`.
    #[x_kube(validation = Rule::new("size(self) > 0").message("selector.namespace must not be empty"))]
    pub namespace: String,
    /// Labels the pods must all carry (pods must also carry `firedrill.dev/injectable=true`).
    #[serde(default)]
    pub match_labels: BTreeMap<String, String>,
    /// How many of the matching pods to pick.
    #[serde(default)]
    pub mode: SelectionMode,
    /// The count (Fixed) or percentage (Percent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<u32>,
}

/// `One` picks one pod, `All` every pod, `Fixed` `value` pods, `Percent` `value`% (rounded up).
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SelectionMode {
    One,
    #[default]
    All,
    Fixed,
    Percent,
}

/// What the operator did, per pod.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FaultInjectionStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<InjectionPhase>,
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    #[serde(default)]
    pub selected_pods: u32,
    #[serde(default)]
    pub injected_pods: u32,
    /// When every selected pod first acknowledged the faults (injection latency ends here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_acknowledged_at: Option<Time>,
    /// When the faults are reverted by themselves (`durationSeconds`), if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Time>,
    #[serde(default)]
    pub pods: Vec<PodRecord>,
    #[serde(default)]
    pub conditions: Vec<Condition>,
}

/// Lifecycle of the whole injection.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InjectionPhase {
    /// Selected pods are being reached.
    Injecting,
    /// Every selected pod acknowledged the faults; leases are being renewed.
    Active,
    /// Nothing was touched: the target is not opted in, or the fault document is invalid.
    Refused,
    /// `durationSeconds` passed and the faults were reverted.
    Expired,
}

/// One pod's record.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodRecord {
    pub name: String,
    /// The pod's UID: a pod re-created under the same name is a new pod.
    #[serde(default)]
    pub uid: String,
    /// `ip:port` of the admin endpoint last used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    pub state: PodState,
    /// Fault-set generation the agent acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_generation: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injected_at: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovered_at: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Where one pod stands.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodState {
    /// Selected, not yet reachable (no IP, not running, no admin port).
    Pending,
    /// The agent acknowledged the current fault set.
    Injected,
    /// The last delivery failed; retried on the next reconcile.
    Failed,
    /// The faults were reverted (deselected, expired, or the injection was deleted).
    Recovered,
    /// The pod went away; not a failure.
    Gone,
}

fn fault_list_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let kinds: Vec<&str> = firedrill_fault::FaultKind::ALL.iter().map(|k| k.as_str()).collect();
    schemars::json_schema!({
        "type": "array",
        "minItems": 1,
        "maxItems": 32,
        "items": {
            "type": "object",
            "required": ["kind"],
            "properties": { "kind": { "type": "string", "enum": kinds } },
            "x-kubernetes-preserve-unknown-fields": true
        }
    })
}
