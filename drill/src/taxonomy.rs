//! The answer taxonomy: the fault classes players choose from.
//!
//! Scenarios name the class of each culprit, players answer with one, and the debrief explains
//! with the same words. The list is deliberately small: a diagnosis names the mechanism an
//! engineer would fix, not every knob the chaos agent has.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A fault class, written kebab-case in files, diagnoses and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FaultClass {
    /// A service answers, but slowly.
    Latency,
    /// A service stops answering some requests until the caller gives up.
    Hang,
    /// A service answers with errors.
    Errors,
    /// A caller retries so much that it multiplies the load on a struggling dependency.
    RetryAmplification,
    /// Calls queue for a too-small connection pool or concurrency limit.
    PoolStarvation,
    /// A timeout set wrong for the dependency's real latency.
    TimeoutMisconfiguration,
    /// A service runs out of CPU or memory.
    Resource,
    /// The telemetry itself lies or is missing: sampling, dropped spans, broken propagation,
    /// delayed or dropped logs.
    TelemetryGap,
}

// === impl FaultClass ===

impl FaultClass {
    /// Every class, in documentation order.
    pub const ALL: [FaultClass; 8] = [
        FaultClass::Latency,
        FaultClass::Hang,
        FaultClass::Errors,
        FaultClass::RetryAmplification,
        FaultClass::PoolStarvation,
        FaultClass::TimeoutMisconfiguration,
        FaultClass::Resource,
        FaultClass::TelemetryGap,
    ];

    /// The class as written in files and typed by players.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultClass::Latency => "latency",
            FaultClass::Hang => "hang",
            FaultClass::Errors => "errors",
            FaultClass::RetryAmplification => "retry-amplification",
            FaultClass::PoolStarvation => "pool-starvation",
            FaultClass::TimeoutMisconfiguration => "timeout-misconfiguration",
            FaultClass::Resource => "resource",
            FaultClass::TelemetryGap => "telemetry-gap",
        }
    }

    /// One line for players choosing an answer.
    pub fn description(self) -> &'static str {
        match self {
            FaultClass::Latency => "a service answers, but slowly",
            FaultClass::Hang => "a service stops answering some requests until callers give up",
            FaultClass::Errors => "a service answers with errors",
            FaultClass::RetryAmplification => "a caller's retries multiply the load on a struggling dependency",
            FaultClass::PoolStarvation => "calls queue for a too-small connection pool or concurrency limit",
            FaultClass::TimeoutMisconfiguration => "a timeout is set wrong for the dependency's real latency",
            FaultClass::Resource => "a service runs out of CPU or memory",
            FaultClass::TelemetryGap => {
                "telemetry is missing or late: sampling, dropped spans, broken propagation, log delay or loss"
            }
        }
    }

    /// All class names, comma-separated, for "expected one of ..." messages.
    pub fn names() -> String {
        let names: Vec<_> = Self::ALL.iter().map(|c| c.as_str()).collect();
        names.join(", ")
    }
}

impl std::fmt::Display for FaultClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A fault-class name that is not in the taxonomy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault class `{0}`; expected one of {list}", list = FaultClass::names())]
pub struct UnknownFaultClass(pub String);

impl std::str::FromStr for FaultClass {
    type Err = UnknownFaultClass;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| UnknownFaultClass(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_and_from_str() {
        for class in FaultClass::ALL {
            let json = serde_json::to_string(&class).unwrap();
            assert_eq!(json, format!("\"{}\"", class.as_str()));
            assert_eq!(class.as_str().parse::<FaultClass>().unwrap(), class);
            assert!(!class.description().is_empty());
        }
    }

    #[test]
    fn unknown_class_lists_the_taxonomy() {
        let e = "retry".parse::<FaultClass>().unwrap_err().to_string();
        assert!(e.starts_with("unknown fault class `retry`; expected one of latency, hang"));
        assert!(e.ends_with("telemetry-gap"), "{e}");
    }
}
