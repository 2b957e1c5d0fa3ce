//! The cluster as a host of the drill engine's driver: fault sets become FaultInjections in
//! the control namespace (whose controller delivers them to the pods and renews their
//! leases), traffic goes to loadgen's control API, signals are read on the lab's backends.
//! No policy here: when to deliver, renew, step the load or revert is the driver's.

use std::collections::BTreeMap;

use firedrill_control::LoadRequest;
use firedrill_drill::draw::FaultSets;
use firedrill_drill::driver::{Host, Lease, Traffic};
use firedrill_drill::scenario::Signal;

use super::faults;
use crate::context::Context;
use crate::crd::Drill;
use crate::error::{Error, Result};

/// One reconcile's view of the cluster for one Drill.
pub struct Delivery<'a> {
    ctx: &'a Context,
    drill: &'a Drill,
    /// Replicas per service in the draw, to tell "every replica" from "one replica".
    replicas: BTreeMap<String, u32>,
}

impl<'a> Delivery<'a> {
    pub fn new(ctx: &'a Context, drill: &'a Drill, replicas: BTreeMap<String, u32>) -> Self {
        Delivery { ctx, drill, replicas }
    }
}

impl Host for Delivery<'_> {
    type Error = Error;

    /// Applies the FaultInjections (idempotent); true once each reports every pod injected.
    async fn deliver(&mut self, sets: &FaultSets, lease: Lease) -> Result<bool> {
        let planned = faults::plan(sets, &self.replicas);
        faults::apply(self.ctx, self.drill, &planned, lease).await?;
        Ok(faults::all_active(&faults::current(self.ctx, self.drill).await?, planned.len()))
    }

    /// Deletes the FaultInjections (their finalizers revert the pods); true once none is left.
    async fn revert(&mut self) -> Result<bool> {
        faults::remove(self.ctx, self.drill).await
    }

    async fn set_traffic(&mut self, traffic: Option<&Traffic>) -> Result<()> {
        let Some(url) = &self.ctx.config.loadgen_url else { return Ok(()) };
        let result = match traffic {
            Some(t) => self.ctx.loadgen.set(url, &LoadRequest { rps: t.rps, mix: Some(t.mix.clone()) }).await,
            None => self.ctx.loadgen.reset(url).await,
        };
        let label = result.as_ref().map_or_else(|e| e.label(), |_| "ok");
        self.ctx.metrics.delivery("set-load", label);
        result.map(drop).map_err(|e| Error::Delivery { endpoint: url.clone(), reason: e.to_string() })
    }

    /// Without any backend configured every signal reads as "no data".
    async fn read(&mut self, signals: &[&Signal]) -> Vec<Result<Option<f64>>> {
        let values = self.ctx.config.backends.read(signals).await;
        values
            .into_iter()
            .map(|v| v.map_err(|e| Error::Delivery { endpoint: "backend".into(), reason: e.to_string() }))
            .collect()
    }
}

/// Whether signals are watched at all (at least one backend configured); without, the
/// debrief says its timeline has no signal rows.
pub fn signals_watched(ctx: &Context) -> bool {
    let b = &ctx.config.backends;
    b.prometheus.is_some() || b.jaeger.is_some() || b.victorialogs.is_some()
}
