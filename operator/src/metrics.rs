//! Prometheus metrics (OpenMetrics text), base units, `_total` counters, latency histograms.
//!
//! Injection latency is the number the chaos lab is judged by: from a FaultInjection's
//! creation to the moment every selected pod's agent acknowledged the faults.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ControllerLabel {
    pub controller: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FailureLabels {
    pub controller: &'static str,
    pub reason: &'static str,
}

/// The operator's metrics; cheap to clone handles, registered once.
pub struct Metrics {
    pub registry: Registry,
    pub reconciliations: Family<ControllerLabel, Counter>,
    pub failures: Family<FailureLabels, Counter>,
    pub reconcile_duration: Family<ControllerLabel, Histogram>,
    pub injection_latency: Histogram,
    pub revert_latency: Histogram,
    pub deliveries: Family<FailureLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("firedrill_operator");
        let reconciliations = Family::<ControllerLabel, Counter>::default();
        let failures = Family::<FailureLabels, Counter>::default();
        let deliveries = Family::<FailureLabels, Counter>::default();
        let reconcile_duration = Family::<ControllerLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 14))
        });
        let injection_latency = Histogram::new(exponential_buckets(0.01, 2.0, 14));
        let revert_latency = Histogram::new(exponential_buckets(0.01, 2.0, 14));
        registry.register("reconciliations", "Reconciles run, by controller", reconciliations.clone());
        registry.register("reconcile_failures", "Failed reconciles, by controller and reason", failures.clone());
        registry.register("deliveries", "Fault deliveries to agents, by operation and outcome", deliveries.clone());
        registry.register_with_unit(
            "reconcile_duration",
            "Time spent in one reconcile",
            prometheus_client::registry::Unit::Seconds,
            reconcile_duration.clone(),
        );
        registry.register_with_unit(
            "injection_latency",
            "FaultInjection created -> every selected pod acknowledged",
            prometheus_client::registry::Unit::Seconds,
            injection_latency.clone(),
        );
        registry.register_with_unit(
            "revert_latency",
            "FaultInjection deletion requested -> every pod reverted",
            prometheus_client::registry::Unit::Seconds,
            revert_latency.clone(),
        );
        Metrics {
            registry,
            reconciliations,
            failures,
            reconcile_duration,
            injection_latency,
            revert_latency,
            deliveries,
        }
    }
}

impl Metrics {
    /// Counts a reconcile and times it until the returned guard drops.
    pub fn reconcile(&self, controller: &'static str) -> ReconcileTimer {
        self.reconciliations.get_or_create(&ControllerLabel { controller }).inc();
        let histogram = self.reconcile_duration.get_or_create(&ControllerLabel { controller }).clone();
        ReconcileTimer { histogram, start: std::time::Instant::now() }
    }

    pub fn failure(&self, controller: &'static str, reason: &'static str) {
        self.failures.get_or_create(&FailureLabels { controller, reason }).inc();
    }

    pub fn delivery(&self, operation: &'static str, outcome: &'static str) {
        self.deliveries.get_or_create(&FailureLabels { controller: operation, reason: outcome }).inc();
    }

    /// The exposition text served on `/metrics`.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("writing to a String");
        out
    }
}

/// Observes the reconcile duration on drop.
pub struct ReconcileTimer {
    histogram: Histogram,
    start: std::time::Instant,
}

impl Drop for ReconcileTimer {
    fn drop(&mut self) {
        self.histogram.observe(self.start.elapsed().as_secs_f64());
    }
}

/// Seconds as f64, for histograms fed from API timestamps.
pub fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}
