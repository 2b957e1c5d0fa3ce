//! A drill in progress on the local lab: the drill engine plus the side effects it asks for
//! (fault delivery with lease renewal, load steps, signal watching). The truth lives only in
//! this process's memory; nothing here writes it to disk while the drill runs.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use firedrill_drill::scenario::Hint;
use firedrill_drill::{
    Debrief, Draw, Drill, DrillError, DrillStatus, Mode, Phase, Scenario, Submission, Timestamp, Verdict,
};
use firedrill_fault::Fault;

use crate::lab::Lab;
use crate::output::Progress;

const LEASE_SECONDS: u32 = 60;
const RENEW_EVERY: Duration = Duration::from_secs(20);

/// The wall clock as the drill engine counts it.
pub fn now() -> Timestamp {
    Timestamp(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64))
}

/// A seed from the clock, for drills started without `--seed`.
pub fn fresh_seed() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
}

/// A running drill and its lab.
pub struct Session {
    pub lab: Lab,
    drill: Drill,
    sets: BTreeMap<(String, u32), Vec<Fault>>,
    renewed: Instant,
    warm_until: Instant,
    activated: Instant,
    /// The load rate last set on loadgen.
    rate: f64,
}

impl Session {
    /// Draws the culprit and prepares the drill. Pure: nothing is touched yet, so a refusal
    /// (bad mode, bad teams) leaves the lab as it was.
    pub fn prepare(scenario: Scenario, seed: u64, mode: Mode) -> Result<Drill, DrillError> {
        let draw = Draw::new(&scenario, seed);
        let id = format!("{}-{}", scenario.name, now().0);
        let mut drill = Drill::new(id, scenario, draw, mode, now())?;
        drill.start_warm_up(now())?;
        Ok(drill)
    }

    /// Starts the warm-up at the scenario's base load; the first [`tick`](Self::tick) after
    /// `warm_up` injects the faults and starts the clock.
    pub async fn begin(lab: Lab, drill: Drill, warm_up: Duration) -> Session {
        let sets = drill.draw().fault_sets();
        let rate = drill.scenario().load.rate_rps;
        if let Err(e) = lab.set_rate(rate).await {
            eprintln!("warning: could not set the load rate: {e}");
        }
        let warm_until = Instant::now() + warm_up;
        Session { lab, drill, sets, renewed: Instant::now(), warm_until, activated: warm_until, rate }
    }

    /// Prepares and begins, then waits out the warm-up with a countdown and injects.
    pub async fn start(
        lab: Lab,
        scenario: Scenario,
        seed: u64,
        mode: Mode,
        warm_up: Duration,
        progress: &Progress,
    ) -> anyhow::Result<Session> {
        let drill = Session::prepare(scenario, seed, mode)?;
        let mut session = Session::begin(lab, drill, warm_up).await;
        progress.wait("warm-up at baseline traffic", warm_up).await;
        session.tick().await?;
        Ok(session)
    }

    async fn activate(&mut self) -> anyhow::Result<()> {
        self.lab.deliver(&self.sets, LEASE_SECONDS).await.context("delivering the drill's faults")?;
        self.drill.activate(now())?;
        self.renewed = Instant::now();
        self.activated = Instant::now();
        Ok(())
    }

    /// Advances the drill: injection once warm, then expiry, lease renewal, load steps and
    /// first sightings of signals.
    pub async fn tick(&mut self) -> anyhow::Result<Phase> {
        if self.drill.phase() == Phase::WarmUp {
            if Instant::now() < self.warm_until {
                return Ok(Phase::WarmUp);
            }
            self.activate().await?;
        }
        let phase = self.drill.tick(now())?;
        if phase != Phase::Active {
            return Ok(phase);
        }
        if self.renewed.elapsed() >= RENEW_EVERY {
            self.lab.deliver(&self.sets, LEASE_SECONDS).await?;
            self.renewed = Instant::now();
        }
        let rate = self.drill.scenario().load.rate_at(self.activated.elapsed().as_secs_f64());
        if rate != self.rate {
            self.lab.set_rate(rate).await?;
            self.rate = rate;
        }
        self.watch_signals().await?;
        Ok(phase)
    }

    async fn watch_signals(&mut self) -> anyhow::Result<()> {
        for signal in self.drill.pending_signals() {
            if let Some(v) = self.lab.backends.query(&signal.query).await?
                && signal.holds(v)
            {
                self.drill.signal_seen(now(), &signal.name)?;
            }
        }
        Ok(())
    }

    pub fn diagnose(&mut self, submission: Submission) -> Result<Verdict, DrillError> {
        self.drill.diagnose(now(), submission)
    }

    pub fn hint(&mut self, contestant: &str) -> Result<Hint, DrillError> {
        self.drill.unlock_hint(now(), contestant)
    }

    pub fn status(&self) -> DrillStatus {
        self.drill.status(now())
    }

    pub fn phase(&self) -> Phase {
        self.drill.phase()
    }

    /// Ends the drill (if still running), removes every fault and returns the debrief.
    pub async fn finish(mut self) -> anyhow::Result<(Debrief, Lab)> {
        if matches!(self.drill.phase(), Phase::Active | Phase::WarmUp | Phase::Pending) {
            self.drill.stop(now())?;
        }
        self.lab.clear().await.context("reverting the faults")?;
        self.drill.revert(now())?;
        let debrief = self.drill.debrief(now())?;
        Ok((debrief, self.lab))
    }
}
