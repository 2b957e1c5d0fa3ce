//! The local lab as a host of the drill driver: fault sets go straight to each process's
//! admin API, traffic to loadgen's control API, signals are read on the lab's own backends.
//! No policy here: when to deliver, renew, step the load or revert is the driver's.

use firedrill_drill::draw::FaultSets;
use firedrill_drill::driver::{Host, Lease, Traffic};
use firedrill_drill::scenario::Signal;

use super::{Lab, LabError};

impl Host for Lab {
    type Error = LabError;

    async fn deliver(&mut self, sets: &FaultSets, lease: Lease) -> Result<bool, LabError> {
        Lab::deliver(self, sets, lease.seconds).await?;
        // Each PUT answered 2xx: every replica carries its set.
        Ok(true)
    }

    async fn revert(&mut self) -> Result<bool, LabError> {
        self.clear().await?;
        Ok(true)
    }

    async fn set_traffic(&mut self, traffic: Option<&Traffic>) -> Result<(), LabError> {
        Lab::set_traffic(self, traffic).await
    }

    async fn read(&mut self, signals: &[&Signal]) -> Vec<Result<Option<f64>, LabError>> {
        self.backends.read(signals).await.into_iter().map(|r| r.map_err(LabError::from)).collect()
    }
}
