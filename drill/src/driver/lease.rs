//! The one lease policy every delivery uses: the local lab, `verify` and the operator (its
//! drills' FaultInjections, and the FaultInjection controller's renewals).
//!
//! A fault set carries a lease; the chaos agent drops it when the lease runs out unless it is
//! renewed. The numbers trade how long a dead driver can leave faults behind against how many
//! renewals may fail in a row before a healthy drill loses its faults:
//!
//! - **30 s lease**: a supervisor or operator that dies mid-drill leaves a healthy system
//!   within 30 s, short enough that nobody debugs a ghost incident after a crash.
//! - **renewed every 10 s (a third)**: two renewals in a row can fail (a slow API server, a
//!   reconcile queued behind others, a pod restarting) and the third still lands before the
//!   agent drops the faults. A renewal is one small PUT per replica: at ten replicas that is
//!   one request a second, nothing next to the drill's own traffic.

use std::time::Duration;

/// How long a delivered fault set lives, and how often it is renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// `leaseSeconds` of every fault document the drill delivers.
    pub seconds: u32,
    /// Time between renewals (re-deliveries of the same set).
    pub renew_every: Duration,
}

/// The lease of every drill's faults.
pub const LEASE: Lease = Lease::of(30);

// === impl Lease ===

impl Lease {
    /// A lease of `seconds`, renewed at a third of it (at least every second).
    pub const fn of(seconds: u32) -> Lease {
        let third_ms = seconds as u64 * 1000 / 3;
        let renew_ms = if third_ms < 1000 { 1000 } else { third_ms };
        Lease { seconds, renew_every: Duration::from_millis(renew_ms) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renews_at_a_third_so_two_renewals_can_fail() {
        assert_eq!(LEASE.seconds, 30);
        assert_eq!(LEASE.renew_every, Duration::from_secs(10));
        // Two failed renewals after a delivery at t=0: the third (t=30) still lands in time
        // only if it is no later than the lease.
        assert!(LEASE.renew_every * 3 <= Duration::from_secs(LEASE.seconds.into()));
        assert_eq!(Lease::of(5).renew_every, Duration::from_millis(1666));
        assert_eq!(Lease::of(1).renew_every, Duration::from_secs(1), "never renews in a busy loop");
    }
}
