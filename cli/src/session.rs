//! A drill in progress on the local lab: the drill engine plus the side effects it asks for
//! (fault delivery with lease renewal, load steps, signal watching). The truth lives only in
//! this process's memory; nothing here writes it to disk while the drill runs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use firedrill_drill::driver::{Driver, Trouble};
use firedrill_drill::scenario::Hint;
use firedrill_drill::{
    Debrief, Draw, Drill, DrillError, DrillStatus, Mode, Phase, Scenario, Submission, Timestamp, Verdict,
};

use crate::lab::Lab;
use crate::output::Progress;

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
    driver: Driver,
}

impl Session {
    /// Draws the culprit and prepares the drill with `warm_up` of baseline traffic. Pure:
    /// nothing is touched yet, so a refusal (bad mode, bad teams) leaves the lab as it was.
    pub fn prepare(scenario: Scenario, seed: u64, mode: Mode, warm_up: Duration) -> Result<Drill, DrillError> {
        let draw = Draw::new(&scenario, seed);
        // Not the scenario's name: the id is in the player view, and the name gives the cause.
        let id = format!("drill-{}", now().0);
        let mut drill = Drill::new(id, scenario, draw, mode, now())?.with_warm_up(warm_up);
        drill.start_warm_up(now())?;
        Ok(drill)
    }

    /// Takes over the lab for `drill`; the first [`tick`](Self::tick) sets the scenario's
    /// traffic, and the one after the warm-up injects the faults and starts the clock.
    pub fn begin(lab: Lab, drill: Drill) -> Session {
        Session { lab, drill, driver: Driver::default() }
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
        let drill = Session::prepare(scenario, seed, mode, warm_up)?;
        let mut session = Session::begin(lab, drill);
        session.tick().await?;
        progress.wait("warm-up at baseline traffic", warm_up).await;
        // The local lab acknowledges a delivery or fails it: one step after the warm-up injects.
        session.tick().await?;
        Ok(session)
    }

    /// One step of the engine's driver: injection once warm, lease renewal, load steps,
    /// first sightings of signals, the revert once over. Troubles that do not stop the
    /// drill (loadgen or a backend not answering) are reported and retried.
    pub async fn tick(&mut self) -> anyhow::Result<Phase> {
        let step = self.driver.step(&mut self.drill, &mut self.lab, now()).await?;
        for trouble in step.troubles {
            match trouble {
                Trouble::Traffic(e) => eprintln!("warning: could not set the drill's traffic: {e}"),
                Trouble::Signal { name, error } => eprintln!("warning: could not read signal `{name}`: {error}"),
            }
        }
        Ok(step.phase)
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

    /// The engine's drill, truth included: for views that pick from it what players may see
    /// (the game-day screen's `Round::of`).
    pub fn drill(&self) -> &Drill {
        &self.drill
    }

    /// Ends the drill (if still running), lets the driver remove every fault and hand the
    /// traffic back, and returns the debrief and the finished drill.
    pub async fn finish(mut self) -> anyhow::Result<(Debrief, Drill, Lab)> {
        if matches!(self.drill.phase(), Phase::Active | Phase::WarmUp | Phase::Pending) {
            self.drill.stop(now())?;
        }
        while !matches!(self.drill.phase(), Phase::Reverted | Phase::Debriefed) {
            self.tick().await.context("reverting the faults")?;
        }
        let debrief = self.drill.debrief(now())?;
        Ok((debrief, self.drill, self.lab))
    }
}
