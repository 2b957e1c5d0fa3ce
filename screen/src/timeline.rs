//! The debrief's timeline plot: the edge's P95 and the users' P95 (loadgen's client-side view)
//! from Prometheus, from before the injection to a minute after the revert, with a marker for
//! the injection, each signal's first showing, every hint and diagnosis, and the revert.
//!
//! The window and the markers come from the engine (pure, [`Timeline::of`]); the series are
//! range queries on Prometheus, fetched by [`Plotter`] and cached per drill, refreshed every
//! few seconds until the window is over (a minute after the revert), then kept.

use std::net::SocketAddr;
use std::time::Duration;

use firedrill_backends::http::Http;
use firedrill_backends::prometheus::{self, Point};
use firedrill_drill::debrief::{Entry, Event};
use firedrill_drill::{Debrief, Drill, Timestamp};
use serde::Serialize;
use tokio::sync::Mutex;

/// The edge's P95 latency (every `/api/...` route of the `api` job; not its `/metrics`).
pub const EDGE_P95: &str = r#"histogram_quantile(0.95, sum by (le) (rate(http_server_request_duration_seconds_bucket{job="api", http_route=~"/api/.+"}[15s])))"#;
/// The users' P95: loadgen's client-side latency, counted from each request's scheduled
/// arrival (queueing included), the number the incident is felt by.
pub const USERS_P95: &str =
    r#"histogram_quantile(0.95, sum by (le) (rate(loadgen_request_duration_seconds_bucket[15s])))"#;
/// How far the plot reaches before the injection (the warm-up, within these bounds).
const BEFORE: (Duration, Duration) = (Duration::from_secs(30), Duration::from_secs(120));
/// How far it reaches after the revert: long enough to see the recovery.
const AFTER: Duration = Duration::from_secs(60);
/// How often an unfinished window is fetched again.
const REFRESH: Duration = Duration::from_secs(5);
/// About this many points per series.
const POINTS: u64 = 300;

/// What the plot shows, in milliseconds since the injection (negative before it).
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub(crate) drill_id: String,
    pub(crate) injected: Timestamp,
    pub(crate) from: Timestamp,
    pub(crate) to: Timestamp,
    pub(crate) markers: Vec<Marker>,
}

/// A vertical line on the plot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub at_ms: i64,
    pub kind: MarkerKind,
    pub label: String,
}

/// What a marker marks; its CSS class is `marker marker-<kind>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerKind {
    Injected,
    Signal,
    Hint,
    Diagnosis,
    Reverted,
}

/// One plotted line: milliseconds since injection, seconds of latency.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: &'static str,
    /// CSS class, `series series-<class>`.
    pub class: &'static str,
    pub points: Vec<(i64, f64)>,
}

/// The rendered plot, as the page embeds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plot {
    pub svg: String,
    /// Why a line is missing, if one is (no Prometheus, no data yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

// === impl MarkerKind ===

impl MarkerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MarkerKind::Injected => "injected",
            MarkerKind::Signal => "signal",
            MarkerKind::Hint => "hint",
            MarkerKind::Diagnosis => "diagnosis",
            MarkerKind::Reverted => "reverted",
        }
    }
}

// === impl Timeline ===

impl Timeline {
    /// The plot's window and markers for a reverted drill (`None` if it never got injected).
    pub fn of(drill: &Drill, debrief: &Debrief) -> Option<Timeline> {
        let injected = drill.injected_at()?;
        let reverted = drill.reverted_at()?;
        let before = drill.warm_up().clamp(BEFORE.0, BEFORE.1);
        let from = Timestamp(injected.as_millis().saturating_sub(before.as_millis() as u64));
        let markers = debrief.timeline.iter().filter_map(marker).collect();
        Some(Timeline { drill_id: debrief.drill_id.clone(), injected, from, to: reverted.plus(AFTER), markers })
    }

    /// The window in milliseconds since injection.
    pub fn span_ms(&self) -> (i64, i64) {
        (self.from.offset_from(self.injected), self.to.offset_from(self.injected))
    }

    pub fn markers(&self) -> &[Marker] {
        &self.markers
    }

    fn step(&self) -> Duration {
        Duration::from_secs((self.to.since(self.from).as_secs() / POINTS).max(1))
    }
}

fn marker(e: &Entry) -> Option<Marker> {
    let (kind, label) = match &e.event {
        Event::Injected => (MarkerKind::Injected, "faults injected".to_string()),
        Event::Signal { name } => (MarkerKind::Signal, format!("signal {name}")),
        Event::Hint { contestant, .. } => (MarkerKind::Hint, format!("hint: {contestant}")),
        Event::Diagnosis { player, service, fault_class, verdict, .. } => {
            (MarkerKind::Diagnosis, format!("{player}: {service} / {fault_class} ({verdict})"))
        }
        Event::Reverted => (MarkerKind::Reverted, "reverted".to_string()),
        Event::WarmUp | Event::Ended { .. } => return None,
    };
    Some(Marker { at_ms: e.at_ms, kind, label })
}

/// Fetches the series from Prometheus and renders the plot, caching it per drill.
#[derive(Debug, Default)]
pub struct Plotter {
    http: Http,
    prometheus: Option<SocketAddr>,
    cache: Mutex<Option<Cached>>,
}

#[derive(Debug)]
struct Cached {
    drill_id: String,
    fetched_at: Timestamp,
    complete: bool,
    plot: Plot,
}

// === impl Plotter ===

impl Plotter {
    /// Reads the series from the Prometheus at `prometheus` (`None`: markers only).
    pub fn new(prometheus: Option<SocketAddr>) -> Plotter {
        Plotter { http: Http::default(), prometheus, cache: Mutex::new(None) }
    }

    /// The plot of `timeline` at `now`: from the cache while it is fresh or complete.
    pub async fn plot(&self, timeline: &Timeline, now: Timestamp) -> Plot {
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref().filter(|c| c.drill_id == timeline.drill_id)
            && (c.complete || now.since(c.fetched_at) < REFRESH)
        {
            return c.plot.clone();
        }
        let (series, note) = self.series(timeline, now).await;
        let plot = Plot { svg: crate::svg::render(timeline, &series), note };
        let complete = now >= timeline.to.plus(REFRESH) && self.prometheus.is_some();
        *cache = Some(Cached { drill_id: timeline.drill_id.clone(), fetched_at: now, complete, plot: plot.clone() });
        plot
    }

    async fn series(&self, timeline: &Timeline, now: Timestamp) -> (Vec<Series>, Option<String>) {
        let Some(addr) = self.prometheus else {
            return (vec![], Some("no Prometheus in this lab: markers only".into()));
        };
        let to = timeline.to.min(now);
        let mut out = Vec::new();
        let mut missing = Vec::new();
        for (name, class, promql) in [("edge P95", "edge", EDGE_P95), ("users' P95", "users", USERS_P95)] {
            match prometheus::query_range(&self.http, addr, promql, timeline.from, to, timeline.step()).await {
                Ok(points) if !points.is_empty() => {
                    out.push(Series { name, class, points: relative(&points, timeline) })
                }
                Ok(_) => missing.push(format!("{name}: no data")),
                Err(e) => missing.push(format!("{name}: {e}")),
            }
        }
        (out, (!missing.is_empty()).then(|| missing.join("; ")))
    }
}

fn relative(points: &[Point], timeline: &Timeline) -> Vec<(i64, f64)> {
    points.iter().map(|p| (p.at.offset_from(timeline.injected), p.value)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{active_drill, t};
    use firedrill_drill::{FaultClass, Submission};

    #[test]
    fn the_window_runs_from_before_the_injection_to_a_minute_after_the_revert() {
        let mut drill = active_drill();
        let name = drill.pending_signals()[0].signal.name.clone();
        drill.signal_seen(t(12), &name).unwrap();
        drill.unlock_hint(t(580), "ada").unwrap();
        let s = Submission {
            player: "ada".into(),
            team: None,
            service: "api".into(),
            fault_class: FaultClass::Latency,
            note: None,
        };
        drill.diagnose(t(590), s).unwrap();
        drill.stop(t(595)).unwrap();
        drill.revert(t(597)).unwrap();
        let timeline = Timeline::of(&drill, &Debrief::of(&drill)).unwrap();
        assert_eq!(timeline.span_ms(), (-30_000, 657_000), "warm-up of 30 s before, a minute after");
        let kinds: Vec<_> = timeline.markers().iter().map(|m| (m.at_ms, m.kind)).collect();
        assert_eq!(
            kinds,
            [
                (0, MarkerKind::Injected),
                (12_000, MarkerKind::Signal),
                (580_000, MarkerKind::Hint),
                (590_000, MarkerKind::Diagnosis),
                (597_000, MarkerKind::Reverted)
            ]
        );
        assert!(timeline.markers()[3].label.contains("ada: api / latency (wrong)"), "{:?}", timeline.markers()[3]);
        assert_eq!(timeline.step(), Duration::from_secs(2), "about 300 points");
    }

    #[tokio::test]
    async fn without_prometheus_the_plot_has_its_markers_and_says_why_no_lines() {
        let mut drill = active_drill();
        drill.stop(t(10)).unwrap();
        drill.revert(t(11)).unwrap();
        let timeline = Timeline::of(&drill, &Debrief::of(&drill)).unwrap();
        let plot = Plotter::new(None).plot(&timeline, t(200)).await;
        assert!(plot.note.as_deref().unwrap().contains("no Prometheus"), "{plot:?}");
        assert_eq!(plot.svg.matches("class=\"marker marker-").count(), 2, "{}", plot.svg);
    }
}
