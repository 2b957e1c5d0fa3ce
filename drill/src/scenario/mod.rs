//! The scenario file format (`apiVersion: firedrill.dev/v1alpha1`, `kind: Scenario`).
//!
//! A scenario is a reusable incident recipe: what players are told, the load, the candidate
//! culprits (one drawn per drill), the amplifiers and observability gaps applied in every draw,
//! the answer key, hints, the signals the incident must produce, the decoys (red herrings
//! delivered in every draw) and the briefing's claims. The types here are the
//! format; `parse` turns text into them with an error per mistake, each at its line and column.
//! docs/scenario-format.md documents every field.

mod catalog;
mod decoys;
mod incident;
mod logs;
mod parse;
mod path;
mod promql;
mod traces;
mod validate;
mod yaml;

#[cfg(test)]
mod decoys_tests;
#[cfg(test)]
mod query_tests;
#[cfg(test)]
mod tests;

pub use catalog::{Catalog, CatalogError};
pub use parse::{ScenarioError, ScenarioErrors};
pub use traces::{LOOKBACK_SECONDS, TraceMeasure, TraceQuery};

use crate::taxonomy::FaultClass;
use firedrill_fault::Fault;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The only `apiVersion` this crate reads.
pub const API_VERSION: &str = "firedrill.dev/v1alpha1";
/// The `kind` of a scenario document.
pub const KIND: &str = "Scenario";

/// One scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scenario {
    /// Always `firedrill.dev/v1alpha1` for this version of the format.
    pub api_version: String,
    /// Always `Scenario`.
    pub kind: String,
    /// Kebab-case identifier, unique in a catalog (`storefront-slow-flat-errors`).
    pub name: String,
    /// Human title; it names the cause, so players see it only in the debrief.
    pub title: String,
    /// What the page says, shown to players instead of the name and title: a symptom and where
    /// it shows (`storefront latency`), never the scenario, a culprit's service or a mechanism.
    pub incident: String,
    pub difficulty: Difficulty,
    /// The clock players get once faults are active (60..=7200).
    pub time_limit_seconds: u32,
    /// What the pager says: symptoms only, never the cause.
    pub briefing: String,
    pub load: Load,
    /// Replica count per service; absent services run one replica.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub replicas: BTreeMap<String, u32>,
    /// The candidate culprits; one is drawn per drill.
    pub culprits: Vec<Culprit>,
    /// Faults applied in every draw that make the incident worse (e.g. aggressive retries).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amplifiers: Vec<Target>,
    /// Telemetry faults applied in every draw that make the incident harder to see.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<Target>,
    /// Hints in unlock order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<Hint>,
    /// Signals every culprit produces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<Signal>,
    /// Red herrings: faults on services that are not the cause, delivered in every draw, whose
    /// symptoms are visible but do not explain the page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decoys: Vec<Decoy>,
    /// What the briefing asserts about the page, checked true in every draw while the
    /// incident is active.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Claim>,
}

/// How hard the scenario is; scales the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
}

/// The open-loop traffic loadgen sends during the drill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Load {
    /// Base arrival rate, requests per second (Poisson), 0 < rateRps <= 1000.
    pub rate_rps: f64,
    /// Relative weights of the endpoints.
    pub mix: Mix,
    /// Rate changes over time, by seconds since faults went active.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<LoadStep>,
}

/// Endpoint weights; they need not add up to anything, only their ratio matters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Mix {
    /// `GET /api/products/{id}`.
    #[serde(default)]
    pub product: f64,
    /// `POST /api/checkout`.
    #[serde(default)]
    pub checkout: f64,
}

/// From `atSeconds` on, the rate is `rateRps * rateMultiplier`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoadStep {
    pub at_seconds: u32,
    /// 0 < rateMultiplier <= 10.
    pub rate_multiplier: f64,
}

/// One candidate root cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Culprit {
    /// Kebab-case, unique within the scenario; printed in the debrief.
    pub id: String,
    /// The faults this culprit injects.
    pub targets: Vec<Target>,
    /// What a correct diagnosis names.
    pub answer: Answer,
    /// How the fault propagates into the symptoms, told in the debrief.
    pub story: String,
    /// Signals this culprit produces on top of the scenario's common ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<Signal>,
    /// The queries that would have isolated this culprit fastest, shown in the debrief.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub isolating_queries: Vec<IsolatingQuery>,
}

/// Faults for one service, or one replica of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Target {
    pub service: String,
    /// Zero-based replica index; absent = every replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica: Option<u32>,
    pub faults: Vec<Fault>,
}

/// The answer key of a culprit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Answer {
    pub service: String,
    pub fault_class: FaultClass,
}

/// A red herring: faults on a service that no culprit's answer names, delivered in every
/// draw. Visible (its own signals hold while injected and not at baseline) and harmless to
/// the story (every culprit's signals still hold); the debrief names it, nothing before does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Decoy {
    pub service: String,
    /// Zero-based replica index; absent = every replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica: Option<u32>,
    pub faults: Vec<Fault>,
    /// What players can see of it; at least one.
    pub signals: Vec<Signal>,
    /// What it looked like and why it did not explain the page, told in the debrief.
    pub story: String,
}

/// One assertion of the briefing about the page ("edge P95 over a second"), in the form of a
/// signal. Unlike a signal it may also hold at baseline ("errors under 1%"): it is checked
/// only while the incident is active, for every culprit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Claim {
    /// Kebab-case, unique among the scenario's claims.
    pub name: String,
    /// The briefing's words this claim checks.
    pub text: String,
    pub query: Query,
    pub op: Comparison,
    pub threshold: f64,
    /// The latest time after injection the claim may first hold (1..=600).
    pub within_seconds: u32,
}

/// A hint, unlocked `afterSeconds` after faults went active, costing `cost` points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Hint {
    pub after_seconds: u32,
    pub cost: u32,
    pub text: String,
}

/// An assertion over a real backend that must hold while faults are active and must not hold
/// at baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Signal {
    /// Kebab-case, unique within the scenario (common and culprit signals together).
    pub name: String,
    /// What to ask, and of which backend.
    pub query: Query,
    pub op: Comparison,
    pub threshold: f64,
    /// How long after injection the signal may take to show (1..=600).
    pub within_seconds: u32,
}

/// A query, tagged by its backend: `promql` (Prometheus), `traces` (Jaeger) or `logsql`
/// (VictoriaLogs, the lab's log backend; Loki is not used, being AGPL-licensed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Query {
    /// A PromQL expression evaluated as an instant query; it must return one sample (or none,
    /// which never satisfies the signal).
    Promql(String),
    /// A measure computed from the traces Jaeger holds for one service.
    Traces(TraceQuery),
    /// A LogsQL query. In a signal it is evaluated as a stats query: it needs a `_time:`
    /// window and a `| stats` pipe and must return one number (NaN or nothing is no data);
    /// in an isolating query it may be a plain search, as a player would type it.
    Logsql(String),
}

/// How a query's value is compared with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Comparison {
    #[serde(rename = ">")]
    Greater,
    #[serde(rename = ">=")]
    GreaterOrEqual,
    #[serde(rename = "<")]
    Less,
    #[serde(rename = "<=")]
    LessOrEqual,
}

/// A query shown in the debrief as the fastest way to the culprit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IsolatingQuery {
    /// What the query shows and why it isolates the culprit.
    pub why: String,
    pub query: Query,
}

// === impl Mix ===

impl Mix {
    /// The weights in loadgen's format (`--mix`, `PUT /rate`): whole numbers in the same
    /// ratio, smallest terms, e.g. `product=9,checkout=1` for 90/10 or 0.9/0.1.
    pub fn loadgen_weights(&self) -> String {
        let scaled = |x: f64| (x * 100.0).round() as u64;
        let (mut p, mut c) = (scaled(self.product), scaled(self.checkout));
        let divisor = gcd(p, c).max(1);
        (p, c) = (p / divisor, c / divisor);
        match (p, c) {
            (0, 0) => "product=1".to_string(),
            (p, 0) => format!("product={p}"),
            (0, c) => format!("checkout={c}"),
            (p, c) => format!("product={p},checkout={c}"),
        }
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

// === impl Load ===

impl Load {
    /// The rate `seconds` after the faults went active: `rateRps` times the multiplier of the
    /// last step reached (steps are validated to be in increasing `atSeconds`).
    pub fn rate_at(&self, seconds: f64) -> f64 {
        let reached = self.steps.iter().take_while(|s| f64::from(s.at_seconds) <= seconds).last();
        self.rate_rps * reached.map_or(1.0, |s| s.rate_multiplier)
    }

    /// Seconds after activation until the next step, if one is still ahead at `seconds`.
    pub fn next_step_in(&self, seconds: f64) -> Option<f64> {
        self.steps.iter().map(|s| f64::from(s.at_seconds) - seconds).find(|&wait| wait > 0.0)
    }
}

// === impl Scenario ===

impl Scenario {
    /// Parses and validates one scenario file; `file_name` prefixes every error.
    ///
    /// Either the whole scenario or every mistake found, each as
    /// `file:line:column: what is wrong; what was expected`.
    pub fn from_yaml(file_name: &str, text: &str) -> Result<Scenario, ScenarioErrors> {
        parse::parse(file_name, text)
    }

    /// The JSON schema of the format, for docs and editors.
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Scenario)).expect("a schema is plain JSON")
    }

    /// The replica count of `service` (1 when not listed).
    pub fn replicas_of(&self, service: &str) -> u32 {
        self.replicas.get(service).copied().unwrap_or(1)
    }

    /// The culprit with this id.
    pub fn culprit(&self, id: &str) -> Option<&Culprit> {
        self.culprits.iter().find(|c| c.id == id)
    }

    /// The signals a drill of `culprit` must show: the common ones, then the culprit's own.
    pub fn signals_for<'a>(&'a self, culprit: &'a Culprit) -> impl Iterator<Item = &'a Signal> {
        self.signals.iter().chain(&culprit.signals)
    }

    /// The time limit as a `Duration`.
    pub fn time_limit(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.time_limit_seconds.into())
    }
}

// === impl Difficulty ===

impl Difficulty {
    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Easy => "easy",
            Difficulty::Medium => "medium",
            Difficulty::Hard => "hard",
        }
    }
}

impl std::fmt::Display for Difficulty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// === impl Query ===

impl Query {
    /// The backend the query is for, as written in files (`promql`, `traces`, `logsql`).
    pub fn backend(&self) -> &'static str {
        match self {
            Query::Promql(_) => "promql",
            Query::Traces(_) => "traces",
            Query::Logsql(_) => "logsql",
        }
    }

    /// Where a player runs it: `Prometheus`, `Jaeger` or `VictoriaLogs`.
    pub fn backend_name(&self) -> &'static str {
        match self {
            Query::Promql(_) => "Prometheus",
            Query::Traces(_) => "Jaeger",
            Query::Logsql(_) => "VictoriaLogs",
        }
    }

    /// The query text: the PromQL or LogsQL expression, or a trace query in one line.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Query::Promql(q) | Query::Logsql(q) => std::borrow::Cow::Borrowed(q),
            Query::Traces(t) => t.text(),
        }
    }
}

// === impl Comparison ===

impl Comparison {
    /// Whether `value <op> threshold` holds. NaN never holds.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Greater => value > threshold,
            Comparison::GreaterOrEqual => value >= threshold,
            Comparison::Less => value < threshold,
            Comparison::LessOrEqual => value <= threshold,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
        }
    }
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// === impl Signal ===

impl Signal {
    /// Whether an observed value satisfies the signal.
    pub fn holds(&self, value: f64) -> bool {
        self.op.holds(value, self.threshold)
    }
}

// === impl Decoy ===

impl Decoy {
    /// Where its faults go, as a target (what the draw delivers).
    pub fn target(&self) -> Target {
        Target { service: self.service.clone(), replica: self.replica, faults: self.faults.clone() }
    }
}

// === impl Claim ===

impl Claim {
    /// Whether an observed value satisfies the claim.
    pub fn holds(&self, value: f64) -> bool {
        self.op.holds(value, self.threshold)
    }
}
