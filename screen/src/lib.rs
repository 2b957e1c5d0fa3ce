//! The game-day screen: one read-only web page for the room. During a drill it shows the
//! incident's neutral title, the briefing, the phase and a big clock, the hints unlocked, the
//! diagnoses with their verdicts as they arrive and the leaderboard; once the faults are
//! reverted, the debrief on the same page: truth, story, faults, a timeline plot of the edge's
//! and the users' P95 with markers, and the isolating queries as links into the backends' UIs.
//!
//! Host-neutral: the local lab's supervisor (and `play`) and the operator both serve it. A host
//! implements [`Source`] (its drill, as a [`Round`] built from the engine's [`Drill`] under its
//! own lock), builds a [`Screen`] and mounts [`service`] on a listener of its own. What the page
//! may show is decided here and in the engine, not by the hosts: see [`state`].
//!
//! The page (HTML, CSS, vanilla JS polling `/api/state` every second) is embedded in the binary
//! with `include_str!`: a game-day room may be offline.

pub mod links;
pub mod routes;
pub mod state;
pub mod svg;
pub mod timeline;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use firedrill_drill::Timestamp;
use http_body_util::Full;

pub use links::{BackendUrls, QueryLink};
pub use routes::Route;
pub use state::{DebriefView, Round, ScreenState};
pub use timeline::{Marker, MarkerKind, Plot, Plotter, Timeline};

/// Where a host's drill comes from.
pub trait Source: Send + Sync + 'static {
    /// The drill as it stands now: [`Round::of`] the engine's drill (or [`Round::idle`]),
    /// with the host's standings. Take the host's lock only for this.
    fn round(&self) -> impl Future<Output = Round> + Send;

    /// The wall clock, in the engine's milliseconds since the UNIX epoch.
    fn now(&self) -> Timestamp;
}

/// What a host tells the screen about its backends.
#[derive(Debug, Clone, Default)]
pub struct ScreenConfig {
    /// Where the screen itself queries Prometheus for the plot (`None`: markers only).
    pub prometheus: Option<SocketAddr>,
    /// Where the players' browsers reach the backends' UIs, for the query links.
    pub links: BackendUrls,
}

/// The screen of one host.
pub struct Screen<S> {
    source: S,
    plotter: Plotter,
    links: BackendUrls,
}

// === impl Screen ===

impl<S: Source> Screen<S> {
    pub fn new(source: S, config: ScreenConfig) -> Screen<S> {
        Screen { source, plotter: Plotter::new(config.prometheus), links: config.links }
    }

    /// The page's state now: the host's round, completed with the query links and the plot
    /// once there is a debrief.
    pub async fn state(&self) -> ScreenState {
        let Round { mut state, timeline } = self.source.round().await;
        if let Some(view) = state.debrief.as_mut() {
            view.query_links = self.links.links(&view.debrief.isolating_queries);
            if let Some(timeline) = &timeline {
                view.plot = Some(self.plotter.plot(timeline, self.source.now()).await);
            }
        }
        state
    }

    /// Answers one request (the page reads no bodies: only its method and path count).
    pub async fn handle<B>(&self, req: &http::Request<B>) -> http::Response<Full<Bytes>> {
        self.respond(req.method(), req.uri().path()).await
    }

    /// Answers `method path`.
    pub async fn respond(&self, method: &http::Method, path: &str) -> http::Response<Full<Bytes>> {
        match routes::route(method, path) {
            Err(status) => routes::refuse(status, method, path),
            Ok(route) => match routes::asset(route) {
                Some((content_type, body)) => routes::ok(method, content_type, Bytes::from_static(body.as_bytes())),
                None => {
                    let json = serde_json::to_vec(&self.state().await).unwrap_or_default();
                    routes::ok(method, "application/json", Bytes::from(json))
                }
            },
        }
    }
}

/// The hyper service a host mounts on its listener (e.g. with the runtime's accept loop).
pub fn service<S: Source, B: hyper::body::Body + Send + 'static>(
    screen: Arc<Screen<S>>,
) -> impl hyper::service::Service<
    http::Request<B>,
    Response = http::Response<Full<Bytes>>,
    Error = Infallible,
    Future: Send + 'static,
> + Clone
+ Send
+ 'static {
    hyper::service::service_fn(move |req: http::Request<B>| {
        let screen = screen.clone();
        let (method, path) = (req.method().clone(), req.uri().path().to_string());
        async move { Ok::<_, Infallible>(screen.respond(&method, &path).await) }
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use firedrill_drill::{Draw, Drill, Mode, Scenario};

    pub const INCIDENT: &str = "storefront errors";

    pub fn t(secs: u64) -> Timestamp {
        Timestamp(1_000_000 + secs * 1000)
    }

    /// `storefront-errors-after-rollout`'s first culprit, active since `t(0)` after a 30 s warm-up.
    pub fn active_drill() -> Drill {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/storefront-errors-after-rollout.yaml");
        let scenario =
            Scenario::from_yaml("storefront-errors-after-rollout.yaml", &std::fs::read_to_string(path).unwrap())
                .unwrap();
        assert_eq!(scenario.incident, INCIDENT);
        let culprit = scenario.culprits[0].id.clone();
        let draw = Draw::of_culprit(&scenario, &culprit, 7).unwrap();
        let mut drill = Drill::new("drill-1", scenario, draw, Mode::FirstCorrectWins, Timestamp(0))
            .unwrap()
            .with_warm_up(std::time::Duration::from_secs(30));
        drill.start_warm_up(Timestamp(970_000)).unwrap();
        drill.activate(t(0)).unwrap();
        drill
    }

    /// What must not show before the revert: the scenario's name and title, every culprit's
    /// id, and the drawn culprit's story.
    pub fn secrets(drill: &Drill) -> Vec<String> {
        let s = drill.scenario();
        let mut out = vec![s.name.clone(), s.title.clone(), drill.draw().culprit.story.trim().to_string()];
        out.extend(s.culprits.iter().map(|c| c.id.clone()));
        out
    }

    struct Fixed(std::sync::Mutex<Drill>);

    impl Source for Fixed {
        async fn round(&self) -> Round {
            Round::of(&self.0.lock().unwrap(), t(50))
        }

        fn now(&self) -> Timestamp {
            t(50)
        }
    }

    fn get(screen: &Screen<Fixed>, method: http::Method, path: &str) -> http::Response<Full<Bytes>> {
        let req = http::Request::builder().method(method).uri(path).body(()).unwrap();
        block_on(screen.handle(&req))
    }

    /// Runs a future to completion on a fresh current-thread runtime.
    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
    }

    fn body(resp: http::Response<Full<Bytes>>) -> String {
        use http_body_util::BodyExt;
        let bytes = block_on(resp.into_body().collect()).unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn the_service_serves_the_page_the_assets_and_the_state_and_refuses_the_rest() {
        let screen = Screen::new(Fixed(std::sync::Mutex::new(active_drill())), ScreenConfig::default());
        let page = get(&screen, http::Method::GET, "/");
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
        assert!(body(page).contains("<title>"));
        assert_eq!(
            get(&screen, http::Method::GET, "/screen.js").headers()["content-type"],
            "text/javascript; charset=utf-8"
        );
        let state: serde_json::Value =
            serde_json::from_str(&body(get(&screen, http::Method::GET, "/api/state"))).unwrap();
        assert_eq!(state["drill"]["incident"], INCIDENT);
        assert_eq!(state["drill"]["elapsedMs"], 50_000);
        assert!(state.get("debrief").is_none(), "{state}");
        assert_eq!(get(&screen, http::Method::POST, "/api/state").status(), 405);
        assert_eq!(get(&screen, http::Method::GET, "/favicon.ico").status(), 404);
        assert!(body(get(&screen, http::Method::HEAD, "/")).is_empty(), "HEAD has no body");
    }

    #[test]
    fn after_the_revert_the_state_links_the_queries_and_carries_the_plot() {
        let mut drill = active_drill();
        drill.stop(t(20)).unwrap();
        drill.revert(t(21)).unwrap();
        let links = BackendUrls { prometheus: Some("http://127.0.0.1:9".into()), ..BackendUrls::default() };
        let screen = Screen::new(Fixed(std::sync::Mutex::new(drill)), ScreenConfig { prometheus: None, links });
        let state: serde_json::Value =
            serde_json::from_str(&body(get(&screen, http::Method::GET, "/api/state"))).unwrap();
        let debrief = &state["debrief"];
        let link = debrief["queryLinks"][0]["url"].as_str().unwrap();
        assert!(link.starts_with("http://127.0.0.1:9/graph?g0.expr="), "{link}");
        assert_eq!(debrief["queryLinks"][1]["url"], serde_json::Value::Null, "no VictoriaLogs link without its URL");
        let svg = debrief["plot"]["svg"].as_str().unwrap();
        assert_eq!(svg.matches("marker marker-").count(), 2, "injected and reverted: {svg}");
    }
}
