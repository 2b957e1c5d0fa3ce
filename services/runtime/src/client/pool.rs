//! The per-dependency concurrency limit with a FIFO wait queue. Starvation shows up here, as
//! time the caller spends waiting before its request ever leaves the process.
//!
//! The limit is read at every admission, so a `pool` fault shrinks or restores it live.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;

/// Admission to a dependency: at most `limit` calls in flight, others queue.
#[derive(Default)]
pub struct Limiter {
    state: Mutex<State>,
    released: Notify,
    /// Told `(in use, waiting)` on every change, for the pool gauges.
    observer: Option<Box<dyn Fn(usize, usize) + Send + Sync>>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter").field("state", &self.state).finish()
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct State {
    in_use: usize,
    waiting: usize,
}

/// One admitted call; dropping it frees the slot and wakes the next waiter.
#[derive(Debug)]
pub struct Permit<'a> {
    limiter: &'a Limiter,
}

/// How long a waiter sleeps before re-reading the limit (a `pool` fault may have raised it).
const RECHECK: Duration = Duration::from_millis(50);

impl Limiter {
    /// A limiter that reports `(in use, waiting)` to `observer` whenever either changes.
    pub fn with_observer(observer: impl Fn(usize, usize) + Send + Sync + 'static) -> Self {
        Limiter { observer: Some(Box::new(observer)), ..Limiter::default() }
    }

    fn changed(&self, s: &State) {
        if let Some(observe) = &self.observer {
            observe(s.in_use, s.waiting);
        }
    }

    /// Waits for a slot under the limit `limit()` returns (read on every try). Private: a
    /// cancelled wait must go through [`acquire_within`](Self::acquire_within)'s guard.
    async fn acquire(&self, limit: impl Fn() -> usize) -> Permit<'_> {
        let mut queued = false;
        loop {
            let notified = self.released.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut s = self.state.lock().expect("limiter lock");
                if s.in_use < limit().max(1) {
                    s.in_use += 1;
                    s.waiting -= usize::from(queued);
                    self.changed(&s);
                    return Permit { limiter: self };
                }
                if !queued {
                    s.waiting += 1;
                    queued = true;
                    self.changed(&s);
                }
            }
            let _ = tokio::time::timeout(RECHECK, notified).await;
        }
    }

    /// (in use, waiting), for the pool gauges.
    pub fn load(&self) -> (usize, usize) {
        let s = *self.state.lock().expect("limiter lock");
        (s.in_use, s.waiting)
    }

    /// Forgets a waiter whose call gave up (deadline) while queued.
    fn abandon(&self) {
        let mut s = self.state.lock().expect("limiter lock");
        s.waiting -= 1;
        self.changed(&s);
    }

    /// Like [`acquire`](Self::acquire) but gives up after `within`.
    pub async fn acquire_within(&self, limit: impl Fn() -> usize, within: Duration) -> Option<Permit<'_>> {
        let guard = WaitGuard { limiter: self, armed: true };
        let result = tokio::time::timeout(within, self.acquire(limit)).await.ok();
        guard.disarm(result.is_some());
        result
    }
}

/// Keeps the waiting count right when a queued acquire is cancelled by its timeout.
struct WaitGuard<'a> {
    limiter: &'a Limiter,
    armed: bool,
}

impl WaitGuard<'_> {
    /// A wait that was not admitted had queued (admission is tried before queueing), and its
    /// dropped future cannot leave the queue by itself.
    fn disarm(mut self, admitted: bool) {
        self.armed = false;
        if !admitted {
            self.limiter.abandon();
        }
    }
}

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        // Still armed: the caller itself was cancelled while queued.
        if self.armed {
            self.limiter.abandon();
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        {
            let mut s = self.limiter.state.lock().expect("limiter lock");
            s.in_use -= 1;
            self.limiter.changed(&s);
        }
        self.limiter.released.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn third_caller_waits_for_a_slot() {
        let limiter = Limiter::default();
        let a = limiter.acquire(|| 2).await;
        let _b = limiter.acquire(|| 2).await;
        assert!(limiter.acquire_within(|| 2, Duration::from_millis(30)).await.is_none());
        assert_eq!(limiter.load(), (2, 0), "an abandoned waiter is not counted");
        drop(a);
        assert!(limiter.acquire_within(|| 2, Duration::from_millis(30)).await.is_some());
    }

    #[tokio::test]
    async fn a_raised_limit_admits_waiters_without_a_release() {
        let limiter = std::sync::Arc::new(Limiter::default());
        let limit = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(1));
        let _held = limiter.acquire(|| 1).await;
        let (l, lim) = (limiter.clone(), limit.clone());
        let waiter = tokio::spawn(async move {
            l.acquire_within(move || lim.load(std::sync::atomic::Ordering::SeqCst), Duration::from_secs(2))
                .await
                .is_some()
        });
        tokio::time::timeout(Duration::from_secs(1), async {
            while limiter.load().1 == 0 {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the waiter queues");
        limit.store(2, std::sync::atomic::Ordering::SeqCst);
        assert!(waiter.await.unwrap(), "the waiter got in once the limit rose");
    }
}
