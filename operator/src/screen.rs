//! The operator's host of the game-day screen (crate `firedrill-screen`): the same page as the
//! local lab's, on a listener of its own (the chart's `firedrill-screen` Service). The Drill
//! controller hands every reconciled drill's engine record to [`Shown`]; the page shows the
//! newest drill still running, else the newest finished one, with the standings of every
//! finished drill this process has seen. What the page may show is the screen crate's and the
//! engine's decision: before a drill's revert, nothing of its truth.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use firedrill_drill::{Debrief, Drill, Leaderboard, Phase, Timestamp};
use firedrill_screen::{BackendUrls, Round, Screen, ScreenConfig, Source};
use tokio::net::TcpListener;

/// How long page requests in flight at shutdown may take to finish.
const GRACE: Duration = Duration::from_secs(1);

/// The drills the screen can show, by Drill UID: the engine's record as last reconciled.
#[derive(Default)]
pub struct Shown {
    drills: Mutex<BTreeMap<String, Drill>>,
}

impl Shown {
    /// The drill `uid` as it stands after a reconcile.
    pub fn update(&self, uid: &str, drill: &Drill) {
        self.drills.lock().expect("screen drills").insert(uid.to_string(), drill.clone());
    }

    /// The Drill `uid` was deleted: the screen forgets it.
    pub fn forget(&self, uid: &str) {
        self.drills.lock().expect("screen drills").remove(uid);
    }

    /// What the page shows at `now`.
    pub fn round(&self, now: Timestamp) -> Round {
        let drills = self.drills.lock().expect("screen drills");
        let finished = |d: &Drill| matches!(d.phase(), Phase::Reverted | Phase::Debriefed);
        let newest = |running: bool| {
            drills.values().filter(|d| finished(d) != running).max_by_key(|d| (d.created_at(), d.id().to_string()))
        };
        let mut board = Leaderboard::default();
        for drill in drills.values().filter(|d| finished(d)) {
            board.record(&Debrief::of(drill));
        }
        let round = match newest(true).or_else(|| newest(false)) {
            Some(drill) => Round::of(drill, now),
            None => Round::idle(now),
        };
        round.with_standings(&board)
    }
}

/// The screen's view of the operator's drills.
pub struct OperatorSource(pub Arc<Shown>);

impl Source for OperatorSource {
    async fn round(&self) -> Round {
        self.0.round(self.now())
    }

    fn now(&self) -> Timestamp {
        crate::drill::now()
    }
}

/// Where the screen queries Prometheus for its plot (the operator's own `--prometheus`) and
/// the backends' UIs as the players' browsers reach them (`--screen-*-url`).
pub fn config(prometheus: Option<SocketAddr>, links: BackendUrls) -> ScreenConfig {
    ScreenConfig { prometheus, links }
}

/// Serves the page on `listener` until `shutdown` resolves, on the runtime's accept loop.
pub async fn serve(listener: TcpListener, shown: Arc<Shown>, config: ScreenConfig, shutdown: impl Future<Output = ()>) {
    let screen = Arc::new(Screen::new(OperatorSource(shown), config));
    let svc = firedrill_screen::service::<OperatorSource, hyper::body::Incoming>(screen);
    firedrill_runtime::server::listen::run(listener, svc, shutdown, GRACE).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use firedrill_drill::{Draw, Mode, Scenario, Submission};

    fn scenario() -> Scenario {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/product-pages-slow-teams-paged.yaml");
        Scenario::from_yaml("s.yaml", &std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn drill(id: &str, created_s: u64) -> Drill {
        let s = scenario();
        let mut d = Drill::new(
            id.to_string(),
            s.clone(),
            Draw::new(&s, 7),
            Mode::FirstCorrectWins,
            Timestamp(created_s * 1000),
        )
        .unwrap()
        .with_warm_up(Duration::ZERO);
        d.start_warm_up(Timestamp(created_s * 1000)).unwrap();
        d.activate(Timestamp(created_s * 1000)).unwrap();
        d
    }

    fn shown_id(round: &Round) -> Option<String> {
        round.state().drill.as_ref().map(|d| d.id.clone())
    }

    #[test]
    fn the_newest_running_drill_is_shown_else_the_newest_finished_with_the_standings() {
        let shown = Shown::default();
        assert_eq!(shown_id(&shown.round(Timestamp(0))), None, "idle before any drill");
        let s = scenario();
        let answer = &Draw::new(&s, 7).culprit.answer;
        let mut done = drill("lab/old", 10);
        let right = Submission {
            player: "alice".into(),
            team: None,
            service: answer.service.clone(),
            fault_class: answer.fault_class,
            note: None,
        };
        done.diagnose(Timestamp(20_000), right).unwrap();
        done.revert(Timestamp(21_000)).unwrap();
        shown.update("u1", &done);
        assert_eq!(shown_id(&shown.round(Timestamp(30_000))).as_deref(), Some("lab/old"));
        let round = shown.round(Timestamp(30_000));
        assert!(round.state().debrief.is_some(), "a reverted drill shows its debrief");
        assert_eq!(round.state().standings.len(), 1, "alice's win is on the board");

        shown.update("u2", &drill("lab/new", 40));
        shown.update("u3", &drill("lab/newer", 50));
        let round = shown.round(Timestamp(60_000));
        assert_eq!(shown_id(&round).as_deref(), Some("lab/newer"), "the newest running drill");
        assert!(round.state().debrief.is_none(), "no truth while it runs");
        assert_eq!(round.state().standings.len(), 1, "standings from finished drills only");
        shown.forget("u3");
        shown.forget("u2");
        assert_eq!(shown_id(&shown.round(Timestamp(60_000))).as_deref(), Some("lab/old"));
    }
}
