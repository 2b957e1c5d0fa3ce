//! Retry policy: how many attempts, how long between them (exponential with full jitter), and
//! an optional budget that caps retries to a share of requests, as Finagle and Linkerd do.

use std::sync::Mutex;
use std::time::Duration;

/// Retry settings for one dependency.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Total attempts, the first included.
    pub attempts: u32,
    /// Base backoff; attempt n waits a random time in `0..=min(max_backoff, base * 2^(n-1))`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Retries allowed per request, on average; `None` = no budget.
    pub budget_ratio: Option<f64>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 2,
            backoff: Duration::from_millis(20),
            max_backoff: Duration::from_secs(1),
            budget_ratio: Some(0.2),
        }
    }
}

impl RetryPolicy {
    /// The pause before attempt `attempt` (1 = the first retry).
    pub fn backoff_before(&self, attempt: u32) -> Duration {
        if self.backoff.is_zero() {
            return Duration::ZERO;
        }
        let exp = self.backoff.saturating_mul(1 << attempt.saturating_sub(1).min(16));
        let cap = exp.min(self.max_backoff).as_micros() as u64;
        Duration::from_micros(fastrand::u64(0..=cap))
    }
}

/// Token bucket: each request deposits `ratio` tokens, each retry takes one.
#[derive(Debug)]
pub struct RetryBudget {
    tokens: Mutex<f64>,
}

/// Tokens a budget starts with and never exceeds, so low-traffic services can still retry.
const RESERVE: f64 = 10.0;

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget { tokens: Mutex::new(RESERVE) }
    }
}

impl RetryBudget {
    pub fn deposit(&self, ratio: f64) {
        let mut t = self.tokens.lock().expect("budget lock");
        *t = (*t + ratio).min(RESERVE.max(ratio * 100.0));
    }

    /// Takes one token if there is one.
    pub fn withdraw(&self) -> bool {
        let mut t = self.tokens.lock().expect("budget lock");
        if *t >= 1.0 {
            *t -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(40),
            ..RetryPolicy::default()
        };
        for _ in 0..200 {
            assert!(p.backoff_before(1) <= Duration::from_millis(10));
            assert!(p.backoff_before(10) <= Duration::from_millis(40));
        }
        let longest = (0..200).map(|_| p.backoff_before(3)).max().unwrap();
        assert!(longest > Duration::from_millis(10), "attempt 3 may wait up to 40 ms, saw {longest:?}");
    }

    #[test]
    fn budget_limits_retries_to_the_ratio() {
        let budget = RetryBudget::default();
        let mut retries = 0;
        for _ in 0..1000 {
            budget.deposit(0.1);
            while budget.withdraw() {
                retries += 1;
            }
        }
        // 10 reserve tokens + 0.1 per request.
        assert!((105..=111).contains(&retries), "got {retries}");
    }
}
