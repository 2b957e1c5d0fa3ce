//! The agent: accepts fault sets, enforces their lease, and keeps the memory a `memory` fault
//! retains so it can be released the moment the fault goes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use arc_swap::ArcSwap;
use firedrill_fault::{FaultKind, FaultSet};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::Active;

/// Holds the active fault set of one service.
///
/// It logs nothing: a line in the service's log when a set arrives, clears or expires would
/// tell a player which services carry faults (untargeted ones get no set on Kubernetes, an
/// empty one locally). Its bookkeeping is on the admin port only (`GET /chaos/faults`, the
/// `firedrill_chaos_*` metrics) and in the deliverer's own logs.
#[derive(Debug, Default)]
pub struct ChaosAgent {
    state: ArcSwap<Active>,
    retained: Mutex<Vec<Vec<u8>>>,
    retained_bytes: AtomicU64,
    /// Highest generation ever accepted: a delayed PUT stays stale even after a DELETE or an
    /// expiry emptied the set.
    highest_generation: AtomicU64,
    metrics: ChaosMetrics,
}

/// Why a PUT was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PutError {
    #[error("generation {offered} is older than generation {active}, already applied")]
    Stale { offered: u64, active: u64 },
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

/// The agent's own metrics. They reveal the fault, so they live on the admin port only.
#[derive(Debug, Clone, Default)]
pub struct ChaosMetrics {
    active: Family<KindLabel, Gauge>,
    injections: Family<KindLabel, Counter>,
    generation: Gauge,
    expirations: Counter,
}

// === impl ChaosAgent ===

impl ChaosAgent {
    pub fn new() -> Self {
        ChaosAgent::default()
    }

    /// The faults in force now. An expired lease is dropped here, so no caller ever acts on it.
    pub fn snapshot(&self) -> Arc<Active> {
        let current = self.state.load_full();
        if current.expired(Instant::now()) {
            self.expire(&current);
            return self.state.load_full();
        }
        current
    }

    /// Replaces the whole set. A lower generation is refused; the same one renews the lease.
    pub fn put(&self, set: FaultSet) -> Result<Arc<Active>, PutError> {
        let highest = self.highest_generation.fetch_max(set.generation, Ordering::SeqCst);
        if set.generation < highest {
            return Err(PutError::Stale { offered: set.generation, active: highest });
        }
        let expires_at = Instant::now() + Duration::from_secs(set.lease_seconds.into());
        let generation = set.generation;
        let next = Arc::new(Active::new(set, expires_at));
        self.state.store(next.clone());
        self.after_change(&next);
        self.metrics.generation.set(generation as i64);
        Ok(next)
    }

    /// Removes every fault at once.
    pub fn clear(&self) {
        let empty = Arc::new(Active::default());
        self.state.store(empty.clone());
        self.after_change(&empty);
    }

    /// Drops `seen` if it is still the active set (a newer PUT may have raced us).
    fn expire(&self, seen: &Arc<Active>) {
        let empty = Arc::new(Active::default());
        let previous = self.state.compare_and_swap(seen, empty.clone());
        if Arc::ptr_eq(&previous, seen) {
            self.metrics.expirations.inc();
            self.after_change(&empty);
        }
    }

    /// Drops an expired lease even when no request comes by to notice it.
    pub fn sweep(&self) {
        let _ = self.snapshot();
    }

    fn after_change(&self, next: &Active) {
        let kinds = next.kinds();
        for kind in FaultKind::ALL {
            let n = kinds.iter().filter(|k| **k == kind).count();
            self.metrics.active.get_or_create(&KindLabel { kind: kind.as_str() }).set(n as i64);
        }
        if !kinds.contains(&FaultKind::Memory) {
            self.release_memory();
        }
    }

    /// Counts one application of a fault to a request or call.
    pub fn record_injection(&self, kind: FaultKind) {
        self.metrics.injections.get_or_create(&KindLabel { kind: kind.as_str() }).inc();
    }

    /// Retains `kib` more KiB (touched, so it is resident) unless that would pass `cap_mib`.
    pub fn retain_memory(&self, kib: u64, cap_mib: u64) {
        let bytes = kib * 1024;
        let cap = cap_mib * 1024 * 1024;
        let mut retained = self.retained.lock().expect("retained memory lock");
        let held = self.retained_bytes.load(Ordering::Relaxed);
        if held + bytes <= cap {
            retained.push(vec![0xA5; bytes as usize]);
            self.retained_bytes.store(held + bytes, Ordering::Relaxed);
        }
    }

    /// Bytes currently held by `memory` faults.
    pub fn retained_bytes(&self) -> u64 {
        self.retained_bytes.load(Ordering::Relaxed)
    }

    fn release_memory(&self) {
        let mut retained = self.retained.lock().expect("retained memory lock");
        retained.clear();
        retained.shrink_to_fit();
        self.retained_bytes.store(0, Ordering::Relaxed);
    }

    /// Registers the agent's metrics (for the admin port's registry).
    pub fn register_metrics(&self, registry: &mut Registry) {
        let m = &self.metrics;
        registry.register("firedrill_chaos_active_faults", "Faults in the active set, by kind", m.active.clone());
        registry.register("firedrill_chaos_injections", "Times a fault was applied, by kind", m.injections.clone());
        registry.register("firedrill_chaos_generation", "Generation of the active fault set", m.generation.clone());
        registry.register(
            "firedrill_chaos_lease_expirations",
            "Fault sets dropped because their lease ran out",
            m.expirations.clone(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(generation: u64, lease: u32) -> FaultSet {
        let json = format!(
            r#"{{"generation":{generation},"leaseSeconds":{lease},"faults":[{{"kind":"error","status":500}}]}}"#
        );
        firedrill_fault::parse_fault_set(json.as_bytes()).unwrap()
    }

    #[test]
    fn stale_generation_is_refused_and_keeps_the_set() {
        let agent = ChaosAgent::new();
        agent.put(set(5, 60)).unwrap();
        assert_eq!(agent.put(set(4, 60)).unwrap_err(), PutError::Stale { offered: 4, active: 5 });
        assert_eq!(agent.snapshot().set.as_ref().unwrap().generation, 5);
        agent.put(set(5, 60)).expect("same generation renews");
        agent.clear();
        assert!(agent.put(set(4, 60)).is_err(), "a delayed PUT stays stale after a DELETE");
    }

    /// The lease on tokio's clock, paused: no real waiting, exact edges.
    #[tokio::test(start_paused = true)]
    async fn a_lease_ends_on_time_unless_renewed_and_a_renewal_counts_from_itself() {
        let agent = ChaosAgent::new();
        agent.put(set(1, 30)).unwrap();
        tokio::time::advance(Duration::from_secs(20)).await;
        agent.put(set(1, 30)).expect("same generation renews");
        tokio::time::advance(Duration::from_secs(29)).await;
        agent.sweep();
        assert!(agent.snapshot().set.is_some(), "49 s after the first PUT, 29 s after the renewal: still leased");
        tokio::time::advance(Duration::from_millis(1001)).await;
        agent.sweep();
        assert!(agent.snapshot().set.is_none(), "30 s after the renewal the set is gone");
        assert!(agent.put(set(0, 30)).is_err(), "an older generation stays stale after expiry");
    }

    #[test]
    fn memory_is_capped_and_released_with_the_fault() {
        let agent = ChaosAgent::new();
        let json = r#"{"generation":1,"leaseSeconds":60,"faults":[{"kind":"memory","retainKib":512,"capMib":1}]}"#;
        agent.put(firedrill_fault::parse_fault_set(json.as_bytes()).unwrap()).unwrap();
        for _ in 0..5 {
            agent.retain_memory(512, 1);
        }
        assert_eq!(agent.retained_bytes(), 1024 * 1024, "two 512 KiB blocks fit under 1 MiB");
        agent.clear();
        assert_eq!(agent.retained_bytes(), 0);
    }
}
