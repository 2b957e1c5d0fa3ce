//! The one drill driver. From a drill and `now` it decides what must happen: deliver or renew
//! the fault sets (with the one [`lease`] policy), activate the clock once they are in, set the
//! traffic (rate and mix) and each load step on time, read the pending signals and record
//! when each first held, revert when the drill is over and hand the traffic back.
//!
//! The hosts — the local lab's supervisor, `firedrill verify` and the operator — only
//! implement [`Host`] (deliver fault sets, revert, set traffic, read signals) and call
//! [`Driver::step`] on their own schedule, no later than the [`Step::wake_at`] it returns. They
//! hold no policy of their own, so a scenario plays the same in every delivery.
//!
//! Like the rest of the engine this module reads no clock and does no I/O itself: the host's
//! trait methods do, and the host passes `now`.

pub mod lease;
mod plan;
mod timing;

#[cfg(test)]
mod tests;

pub use lease::{LEASE, Lease};
pub use plan::{Faults, PendingSignal, Traffic, faults_of};
pub use timing::{SignalTiming, Timeliness};

use std::future::Future;
use std::time::Duration;

use crate::draw::FaultSets;
use crate::drill::{Drill, DrillError, Phase};
use crate::scenario::Signal;
use crate::time::Timestamp;

/// Baseline traffic at the scenario's load before the faults go in, unless the drill says
/// otherwise: long enough for the backends' 30 s rate windows to fill with the scenario's own
/// traffic, so the incident starts from that scenario's normal, not from the idle lab's.
pub const DEFAULT_WARM_UP: Duration = Duration::from_secs(30);
/// How often pending signals are read. Two seconds resolves "when did the evidence show"
/// finely enough for a debrief, and keeps a drill's queries to a few per second.
pub const SIGNAL_POLL: Duration = Duration::from_secs(2);
/// How soon to step again while waiting for something outside the driver (faults to be
/// acknowledged, a revert to finish).
const WAITING_POLL: Duration = Duration::from_secs(1);

/// What a delivery (the local lab, the operator) does for the driver.
///
/// Each method is one attempt; the driver decides when to call again. `Ok(false)` from
/// `deliver` or `revert` means "in progress": the operator's FaultInjections are applied but
/// not every pod has acknowledged yet.
pub trait Host {
    type Error: std::error::Error + Send + Sync + 'static;

    /// Gives every replica its set (an empty one where `sets` has none) with `lease`;
    /// true once every replica carries it.
    fn deliver(&mut self, sets: &FaultSets, lease: Lease) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// Removes every fault of the drill; true once none is left.
    fn revert(&mut self) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// Sets loadgen's traffic; `None` hands it back to loadgen's own settings.
    fn set_traffic(&mut self, traffic: Option<&Traffic>) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// The current value of each signal's query (`None`: no data), in order.
    fn read(&mut self, signals: &[&Signal]) -> impl Future<Output = Vec<Result<Option<f64>, Self::Error>>> + Send;
}

/// A failure that stops this step: the drill is unchanged beyond what was recorded before it.
#[derive(Debug, thiserror::Error)]
pub enum DriveError<E: std::error::Error + 'static> {
    #[error(transparent)]
    Drill(#[from] DrillError),
    #[error("delivering the drill's faults: {0}")]
    Deliver(#[source] E),
    #[error("reverting the drill's faults: {0}")]
    Revert(#[source] E),
}

/// Something that went wrong without stopping the drill: the host logs it, the driver retries.
#[derive(Debug)]
pub enum Trouble<E> {
    /// The traffic was not set (the faults matter more than the load; retried next step).
    Traffic(E),
    /// A signal's backend did not answer; the signal stays pending.
    Signal { name: String, error: E },
}

/// The outcome of one step.
#[derive(Debug)]
pub struct Step<E> {
    pub phase: Phase,
    /// Step again no later than this.
    pub wake_at: Timestamp,
    pub troubles: Vec<Trouble<E>>,
}

/// What the host has delivered so far, so the driver knows what is due. Held in the host's
/// memory; a fresh one (after a restart) simply delivers again at once, which is harmless.
#[derive(Debug, Clone, Default)]
pub struct Driver {
    /// When the current fault sets were last acknowledged.
    renewed_at: Option<Timestamp>,
    /// The traffic last set, and when.
    traffic: Option<(Traffic, Timestamp)>,
    /// When signals were last read.
    polled_at: Option<Timestamp>,
}

// === impl Driver ===

impl Driver {
    /// Brings the lab to what `drill` wants at `now`, and the drill's record up to date.
    pub async fn step<H: Host>(
        &mut self,
        drill: &mut Drill,
        host: &mut H,
        now: Timestamp,
    ) -> Result<Step<H::Error>, DriveError<H::Error>> {
        drill.tick(now)?;
        let mut troubles = Vec::new();
        self.faults(drill, host, now).await?;
        drill.tick(now)?;
        if let Err(e) = self.traffic(drill, host, now).await {
            troubles.push(Trouble::Traffic(e));
        }
        self.signals(drill, host, now, &mut troubles).await?;
        Ok(Step { phase: drill.phase(), wake_at: self.wake_at(drill, now), troubles })
    }

    /// Deliveries and renewals while injected; the revert once over. Activates the drill
    /// when its faults are in, and marks it reverted when they are gone.
    async fn faults<H: Host>(
        &mut self,
        drill: &mut Drill,
        host: &mut H,
        now: Timestamp,
    ) -> Result<(), DriveError<H::Error>> {
        match drill.wanted_faults(now) {
            Faults::Healthy => self.renewed_at = None,
            Faults::Injected(sets) => {
                if self.renewal_due(now) && host.deliver(&sets, LEASE).await.map_err(DriveError::Deliver)? {
                    self.renewed_at = Some(now);
                }
                if drill.phase() == Phase::WarmUp && self.renewed_at.is_some() {
                    drill.activate(now)?;
                }
            }
            Faults::Reverting => {
                if host.revert().await.map_err(DriveError::Revert)? {
                    self.renewed_at = None;
                    drill.revert(now)?;
                }
            }
        }
        Ok(())
    }

    fn renewal_due(&self, now: Timestamp) -> bool {
        self.renewed_at.is_none_or(|at| now.since(at) >= LEASE.renew_every)
    }

    /// Sets the wanted traffic when it changes, and again at every lease renewal so a
    /// restarted loadgen is steered back within one; hands it back once when the drill ends.
    async fn traffic<H: Host>(&mut self, drill: &Drill, host: &mut H, now: Timestamp) -> Result<(), H::Error> {
        match (drill.wanted_traffic(now), &self.traffic) {
            (Some(want), Some((sent, at))) if *sent == want && now.since(*at) < LEASE.renew_every => Ok(()),
            (Some(want), _) => {
                host.set_traffic(Some(&want)).await?;
                self.traffic = Some((want, now));
                Ok(())
            }
            (None, Some(_)) => {
                host.set_traffic(None).await?;
                self.traffic = None;
                Ok(())
            }
            (None, None) => Ok(()),
        }
    }

    /// Reads the pending signals (at most every [`SIGNAL_POLL`]) and records those that hold.
    async fn signals<H: Host>(
        &mut self,
        drill: &mut Drill,
        host: &mut H,
        now: Timestamp,
        troubles: &mut Vec<Trouble<H::Error>>,
    ) -> Result<(), DrillError> {
        let pending = drill.pending_signals();
        if pending.is_empty() || self.polled_at.is_some_and(|at| now.since(at) < SIGNAL_POLL) {
            return Ok(());
        }
        self.polled_at = Some(now);
        let signals: Vec<&Signal> = pending.iter().map(|p| &p.signal).collect();
        for (signal, value) in signals.iter().zip(host.read(&signals).await) {
            match value {
                Ok(Some(v)) if signal.holds(v) => {
                    drill.signal_seen(now, &signal.name)?;
                }
                Ok(_) => {}
                Err(error) => troubles.push(Trouble::Signal { name: signal.name.clone(), error }),
            }
        }
        Ok(())
    }

    /// The earliest of: the warm-up's end, the next renewal, load step, signal poll and the
    /// time limit; soon while waiting on the host.
    fn wake_at(&self, drill: &Drill, now: Timestamp) -> Timestamp {
        let soon = now.plus(WAITING_POLL);
        let due = match drill.phase() {
            Phase::Pending => Some(soon),
            Phase::WarmUp => drill.warm_up_ends().filter(|end| *end > now).or(Some(soon)),
            Phase::Active => {
                let renew = self.renewed_at.map(|at| at.plus(LEASE.renew_every));
                let poll = (!drill.pending_signals().is_empty()).then(|| now.plus(SIGNAL_POLL));
                [renew, poll, drill.next_load_step(now), drill.deadline()].into_iter().flatten().min()
            }
            Phase::Solved | Phase::Expired => Some(soon),
            Phase::Reverted | Phase::Debriefed => None,
        };
        due.unwrap_or(now.plus(LEASE.renew_every)).max(now)
    }
}
