//! Faults not tied to requests: `log-noise` and `cpu-burn`, the noisy background jobs a
//! healthy service has in production. Scenarios use them as decoys: visible, alarming, and no
//! explanation of the page.
//!
//! One task writes the noise and one thread burns the CPU, both started with the service. Each
//! reads the agent's snapshot on every tick, so a fault set that is replaced, cleared or whose
//! lease lapses stops them within one tick, with nothing to undo.
//!
//! The noise is the service's own log, not the agent's: WARN lines with the target of the
//! service's start-up line, a fixed set of messages about its housekeeping (`cache refresh
//! slow`) and their fields (`task`, `elapsed_ms`, `threshold_ms`), no trace. Nothing in them
//! names a fault or the agent, so they read like any other warning the service might log.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use firedrill_fault::FaultKind;
use tracing::instrument::WithSubscriber;

use super::ChaosAgent;
use super::server::burn_cpu;

/// How often the noise is written and the burn re-decided: short enough that a removed fault
/// stops at once, long enough that an idle service pays nothing noticeable.
pub const TICK: Duration = Duration::from_millis(100);

/// The target of the noise lines: the module that logs the service's start and stop, so they
/// look like the service's own housekeeping.
const TARGET: &str = "firedrill_runtime::service";

/// One kind of warning: message, the housekeeping task it is about, and its threshold.
struct Noise {
    message: &'static str,
    task: &'static str,
    threshold_ms: u64,
}

/// The fixed message set, written in turn.
const NOISE: [Noise; 4] = [
    Noise { message: "cache refresh slow", task: "cache-refresh", threshold_ms: 500 },
    Noise { message: "config reload took longer than expected", task: "config-reload", threshold_ms: 250 },
    Noise { message: "background flush behind schedule", task: "flush", threshold_ms: 1000 },
    Noise { message: "health report delayed", task: "health-report", threshold_ms: 200 },
];

/// The messages `log-noise` writes: a decoy's real effect, which the fairness audit of the
/// player's surface allows on a faulted service (like the callers' `EFFECT_MESSAGES`).
pub fn noise_messages() -> impl Iterator<Item = &'static str> {
    NOISE.iter().map(|n| n.message)
}

/// The running background jobs of one service.
pub struct Background {
    noise: tokio::task::JoinHandle<()>,
    burner: Option<std::thread::JoinHandle<()>>,
    stop: Arc<AtomicBool>,
}

// === impl Background ===

impl Background {
    /// Starts both jobs; the noise is logged through `dispatch`, the service's own.
    pub fn start(agent: Arc<ChaosAgent>, dispatch: tracing::Dispatch) -> Background {
        let stop = Arc::new(AtomicBool::new(false));
        let noise = tokio::spawn(log_noise(agent.clone()).with_subscriber(dispatch));
        let burner = std::thread::Builder::new()
            .name("background".into())
            .spawn({
                let stop = stop.clone();
                move || cpu_burn(&agent, &stop)
            })
            .ok();
        Background { noise, burner, stop }
    }

    /// Stops both jobs and waits for the burner to leave its slice (at most one tick).
    pub async fn stop(mut self) {
        self.noise.abort();
        self.stop.store(true, Ordering::Relaxed);
        if let Some(burner) = self.burner.take() {
            let _ = tokio::task::spawn_blocking(move || burner.join()).await;
        }
    }
}

/// Writes `log-noise` lines at their rate, spread evenly over the ticks; a fractional rate
/// carries over, so 0.5 lines per second is one line every other second.
async fn log_noise(agent: Arc<ChaosAgent>) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut owed, mut next) = (0.0_f64, 0_usize);
    loop {
        tick.tick().await;
        let Some(rate) = agent.snapshot().log_noise_per_second else {
            owed = 0.0;
            continue;
        };
        owed += rate * TICK.as_secs_f64();
        while owed >= 1.0 {
            owed -= 1.0;
            warn(&NOISE[next % NOISE.len()]);
            next += 1;
            agent.record_injection(FaultKind::LogNoise);
        }
    }
}

fn warn(noise: &Noise) {
    let elapsed_ms = noise.threshold_ms * fastrand::u64(2..=6) + fastrand::u64(0..100);
    tracing::warn!(
        target: TARGET,
        parent: None,
        task = noise.task,
        elapsed_ms,
        threshold_ms = noise.threshold_ms,
        "{}",
        noise.message
    );
}

/// Keeps `millicores / 1000` of one core busy: in each tick, spins for that share of it (in
/// thread CPU time) and sleeps the rest. One thread, so never more than one core.
fn cpu_burn(agent: &ChaosAgent, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let began = Instant::now();
        if let Some(millicores) = agent.snapshot().cpu_burn_millicores {
            let share = u64::from(millicores.min(firedrill_fault::MAX_BURN_MILLICORES));
            burn_cpu(TICK * share as u32 / 1000);
            agent.record_injection(FaultKind::CpuBurn);
        }
        std::thread::sleep(TICK.saturating_sub(began.elapsed()));
    }
}
