//! The one accept loop every firedrill HTTP server runs on (the services, their admin API,
//! loadgen's control API, the CLI's supervisor): one task per connection, graceful drain on
//! shutdown, and a backoff when `accept` fails.
//!
//! Why the backoff: when the process runs out of file descriptors (EMFILE) the pending
//! connection stays in the backlog, so `accept` fails again at once; a loop that just retries
//! spins at 100% CPU exactly when the process is already in trouble. Here a failing `accept`
//! sleeps, doubling from [`FIRST_PAUSE`] up to [`MAX_PAUSE`], and is logged once per streak.

use std::future::Future;
use std::io;
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tracing::instrument::WithSubscriber;

/// First pause after a failed accept.
pub const FIRST_PAUSE: Duration = Duration::from_millis(5);
/// Longest pause between accepts while they keep failing.
pub const MAX_PAUSE: Duration = Duration::from_secs(1);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Serves `service` on every connection `listener` accepts until `shutdown` resolves, then
/// stops accepting and lets in-flight requests finish for at most `grace`.
pub async fn run<S, B>(listener: TcpListener, service: S, shutdown: impl Future<Output = ()>, grace: Duration)
where
    S: hyper::service::Service<hyper::Request<Incoming>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let graceful = GracefulShutdown::new();
    let mut backoff = Backoff::default();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        match accepted {
            Ok((stream, _peer)) => {
                backoff.succeeded();
                let _ = stream.set_nodelay(true);
                let conn =
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service.clone());
                let conn = graceful.watch(conn);
                tokio::spawn(
                    async move {
                        let _ = conn.await;
                    }
                    .with_current_subscriber(),
                );
            }
            Err(e) => {
                let Some(pause) = backoff.failed(&e) else { continue };
                tokio::select! {
                    () = tokio::time::sleep(pause) => {},
                    () = &mut shutdown => break,
                }
            }
        }
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(parent: None, grace_ms = grace.as_millis() as u64, "in-flight requests outlived the grace period");
    }
}

/// The pause after each failed accept; reset by the next success.
#[derive(Debug, Default)]
pub struct Backoff {
    /// Failures in the current streak.
    failures: u64,
    next: Duration,
}

impl Backoff {
    /// The pause before the next accept, or `None` when the error concerned only the one
    /// connection (the peer gave up before we took it) and the next accept may go at once.
    pub fn failed(&mut self, error: &io::Error) -> Option<Duration> {
        if per_connection(error) {
            return None;
        }
        self.failures += 1;
        self.next = if self.failures == 1 { FIRST_PAUSE } else { (self.next * 2).min(MAX_PAUSE) };
        if self.failures == 1 {
            tracing::warn!(
                parent: None,
                error = %error,
                max_pause_ms = MAX_PAUSE.as_millis() as u64,
                "accept failed; backing off until it succeeds again (logged once per streak)"
            );
        }
        Some(self.next)
    }

    /// An accept went through; returns how many failures the streak that ended had.
    pub fn succeeded(&mut self) -> u64 {
        let streak = std::mem::take(&mut self.failures);
        if streak > 0 {
            tracing::info!(parent: None, failures = streak, "accepting connections again");
        }
        streak
    }
}

fn per_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::Interrupted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emfile() -> io::Error {
        io::Error::from_raw_os_error(24)
    }

    #[test]
    fn pauses_double_up_to_the_cap_and_reset_on_success() {
        let mut b = Backoff::default();
        let pauses: Vec<Duration> = (0..12).map(|_| b.failed(&emfile()).unwrap()).collect();
        assert_eq!(pauses[0], FIRST_PAUSE);
        assert_eq!(pauses[1], FIRST_PAUSE * 2);
        assert!(pauses.windows(2).all(|w| w[1] >= w[0]), "{pauses:?}");
        assert_eq!(*pauses.last().unwrap(), MAX_PAUSE);
        assert_eq!(b.succeeded(), 12);
        assert_eq!(b.failed(&emfile()), Some(FIRST_PAUSE), "a new streak starts short");
    }

    #[test]
    fn a_connection_the_peer_abandoned_is_no_reason_to_wait() {
        let mut b = Backoff::default();
        assert_eq!(b.failed(&io::Error::from(io::ErrorKind::ConnectionAborted)), None);
        assert_eq!(b.succeeded(), 0);
    }
}
