//! Time as the engine sees it: milliseconds since an epoch the caller picks.
//!
//! The engine never reads a clock, so replays and tests are exact: the CLI passes wall-clock
//! milliseconds since the UNIX epoch, tests pass small numbers. One type is used everywhere.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A point in time, in milliseconds since the caller's epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Timestamp(pub u64);

// === impl Timestamp ===

impl Timestamp {
    pub fn from_millis(ms: u64) -> Self {
        Timestamp(ms)
    }

    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// Time from `earlier` to `self`; zero if `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// Milliseconds from `origin` to `self`, negative when `self` is before it.
    pub fn offset_from(self, origin: Timestamp) -> i64 {
        let signed = |t: u64| i64::try_from(t).unwrap_or(i64::MAX);
        signed(self.0).saturating_sub(signed(origin.0))
    }

    pub fn plus(self, d: Duration) -> Timestamp {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Timestamp(self.0.saturating_add(ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        let (a, b) = (Timestamp(1_000), Timestamp(4_500));
        assert_eq!(b.since(a), Duration::from_millis(3_500));
        assert_eq!(a.since(b), Duration::ZERO);
        assert_eq!(a.offset_from(b), -3_500);
        assert_eq!(a.plus(Duration::from_secs(2)), Timestamp(3_000));
        assert_eq!(Timestamp(u64::MAX).plus(Duration::from_secs(1)), Timestamp(u64::MAX));
        assert_eq!(serde_json::to_string(&a).unwrap(), "1000");
    }
}
