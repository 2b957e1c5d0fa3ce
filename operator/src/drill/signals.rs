//! When each of the drawn culprit's signals first showed, for the debrief's timeline ("how
//! long was the evidence there before the team acted on it"). While a drill runs, every
//! pending signal is evaluated on the lab's backends (`--prometheus`, `--jaeger`,
//! `--victorialogs`), as the local lab does. Players see none of it. A backend that is not
//! configured or does not answer within 2 s leaves its signals unseen for that round (logged
//! at debug level): it delays a reconcile by 2 s at most and never fails the drill.

use std::time::Duration;

use firedrill_drill::{Drill, Timestamp};
use futures::future::join_all;

use crate::context::Context;

/// Upper bound for one signal's query, so a hung backend cannot stall a reconcile.
const QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether the operator watches signals at all (at least one backend configured).
pub fn watched(ctx: &Context) -> bool {
    let b = &ctx.config.backends;
    b.prometheus.is_some() || b.jaeger.is_some() || b.victorialogs.is_some()
}

/// Evaluates the pending signals at once and records those that hold as seen at `now`.
pub async fn watch(ctx: &Context, drill: &mut Drill, now: Timestamp) {
    let pending = drill.pending_signals();
    let values = join_all(pending.iter().map(|signal| async {
        match tokio::time::timeout(QUERY_TIMEOUT, ctx.config.backends.query(&signal.query)).await {
            Ok(Ok(value)) => value,
            Ok(Err(e)) => {
                tracing::debug!(signal = %signal.name, error = %e, "evaluating a signal failed");
                None
            }
            Err(_) => {
                tracing::debug!(signal = %signal.name, "a signal's backend did not answer within {QUERY_TIMEOUT:?}");
                None
            }
        }
    }))
    .await;
    for (signal, value) in pending.iter().zip(values) {
        if value.is_some_and(|v| signal.holds(v)) {
            let _ = drill.signal_seen(now, &signal.name);
        }
    }
}
