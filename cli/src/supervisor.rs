//! The lab supervisor: a background process (`firedrill lab supervise`, started by
//! `firedrill lab up`) that owns the lab's processes and the running drill. It holds the
//! admin token and the drawn culprit in memory only; players reach it through the control API,
//! which shows them nothing they could not see in a real incident.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use http::StatusCode;
use tokio::sync::{Mutex, Notify};

use firedrill_drill::{Debrief, Drill, Leaderboard, Mode, Phase, Submission};
use firedrill_screen::Round;

use crate::control::{
    DebriefReply, DiagnoseReply, HintReply, HintRequest, InstanceView, LabStatus, LeaderboardReply, Reply,
    ShutdownReply, StartRequest, bad, error, reply,
};
use crate::lab::Lab;
use crate::session::{Session, fresh_seed};

enum Slot {
    Idle(Box<Lab>),
    Drill(Box<Session>),
    /// Only while a transition is in flight, or after the lab was lost.
    Empty,
}

struct State {
    slot: Slot,
    last_debrief: Option<Debrief>,
    /// The last finished drill, for the game-day screen's debrief and plot.
    last_drill: Option<Box<Drill>>,
    leaderboard: Leaderboard,
}

/// The supervisor's shared state.
pub struct Supervisor {
    state: Mutex<State>,
    catalog_dir: PathBuf,
    leaderboard_file: PathBuf,
    /// Where the game-day screen answers, once its listener is bound.
    screen: std::sync::OnceLock<std::net::SocketAddr>,
    stopping: AtomicBool,
    stop: Notify,
}

impl Supervisor {
    pub fn new(lab: Lab, catalog_dir: PathBuf, leaderboard_file: PathBuf) -> Arc<Self> {
        let leaderboard =
            std::fs::read(&leaderboard_file).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        let state = State { slot: Slot::Idle(Box::new(lab)), last_debrief: None, last_drill: None, leaderboard };
        Arc::new(Supervisor {
            state: Mutex::new(state),
            catalog_dir,
            leaderboard_file,
            screen: std::sync::OnceLock::new(),
            stopping: AtomicBool::new(false),
            stop: Notify::new(),
        })
    }

    /// Records where the game-day screen answers (`lab status` shows it).
    pub fn set_screen(&self, addr: std::net::SocketAddr) {
        let _ = self.screen.set(addr);
    }

    /// The drill for the game-day screen: the running one, else the last one finished, else
    /// none; with the standings. The screen crate picks what players may see from it.
    pub async fn screen_round(&self) -> Round {
        let state = self.state.lock().await;
        let now = crate::session::now();
        let round = match (&state.slot, &state.last_drill) {
            (Slot::Drill(session), _) => Round::of(session.drill(), now),
            (_, Some(drill)) => Round::of(drill, now),
            _ => Round::idle(now),
        };
        round.with_standings(&state.leaderboard)
    }

    /// Resolves once a shutdown was asked for.
    pub async fn stopped(&self) {
        let notified = self.stop.notified();
        if self.stopping.load(Ordering::SeqCst) {
            return;
        }
        notified.await;
    }

    pub fn shutdown(&self) -> Reply {
        self.stopping.store(true, Ordering::SeqCst);
        self.stop.notify_waiters();
        reply(StatusCode::ACCEPTED, &ShutdownReply { status: "stopping".into() })
    }

    /// Drives the drill once a second until shutdown.
    pub async fn run_clock(self: Arc<Self>) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        while !self.stopping.load(Ordering::SeqCst) {
            tick.tick().await;
            let mut state = self.state.lock().await;
            if let Slot::Drill(session) = &mut state.slot {
                match session.tick().await {
                    Ok(Phase::Solved | Phase::Expired | Phase::Reverted) => self.finish(&mut state).await,
                    Ok(_) => {}
                    Err(e) => eprintln!("drill tick failed: {e:#}"),
                }
            }
        }
    }

    /// Ends the drill, if one runs: faults removed, debrief kept, leaderboard updated and
    /// saved. An idle lab stays in its slot (dropping it would SIGKILL every process instead
    /// of stopping them in order with a grace).
    async fn finish(&self, state: &mut State) {
        let session = match std::mem::replace(&mut state.slot, Slot::Empty) {
            Slot::Drill(session) => session,
            other => {
                state.slot = other;
                return;
            }
        };
        match session.finish().await {
            Ok((debrief, drill, lab)) => {
                state.leaderboard.record(&debrief);
                if let Ok(bytes) = serde_json::to_vec_pretty(&state.leaderboard) {
                    let _ = std::fs::write(&self.leaderboard_file, bytes);
                }
                state.last_debrief = Some(debrief);
                state.last_drill = Some(Box::new(drill));
                state.slot = Slot::Idle(Box::new(lab));
            }
            Err(e) => eprintln!("finishing the drill failed; the lab is lost: {e:#}"),
        }
    }

    /// Stops a running drill and takes the lab down.
    pub async fn take_down(&self) {
        let mut state = self.state.lock().await;
        self.finish(&mut state).await;
        if let Slot::Idle(lab) = std::mem::replace(&mut state.slot, Slot::Empty) {
            lab.down().await;
        }
    }

    pub async fn lab_status(&self) -> Reply {
        let state = self.state.lock().await;
        let (lab, drill) = match &state.slot {
            Slot::Idle(lab) => (Some(&**lab), None),
            Slot::Drill(s) => (Some(&s.lab), Some(s.status())),
            Slot::Empty => (None, None),
        };
        let (phase, incident) = drill.map(|d| (d.phase, d.incident)).unzip();
        match lab {
            Some(lab) => reply(StatusCode::OK, &lab_view(lab, self.screen.get().copied(), phase, incident)),
            None => error(StatusCode::SERVICE_UNAVAILABLE, "the lab was lost; run `firedrill lab down` then `lab up`"),
        }
    }

    pub async fn start_drill(&self, body: serde_json::Value) -> Reply {
        let req: StartRequest = match serde_json::from_value(body) {
            Ok(r) => r,
            Err(e) => return bad(&format!("invalid drill request: {e}")),
        };
        let seed = req.seed.unwrap_or_else(fresh_seed);
        let scenario = match crate::catalog::pick(&self.catalog_dir, req.scenario.as_deref(), &req.from, seed) {
            Ok(s) => s,
            Err(e) => return bad(&format!("{e:#}")),
        };
        let mode = if req.teams.is_empty() {
            Mode::FirstCorrectWins
        } else {
            Mode::AllTeamsPlay { teams: req.teams.into_iter().collect() }
        };
        let drill = match Session::prepare(scenario, seed, mode, Duration::from_secs(req.warm_up_seconds)) {
            Ok(d) => d,
            Err(e) => return bad(&e.to_string()),
        };
        let mut state = self.state.lock().await;
        let lab = match std::mem::replace(&mut state.slot, Slot::Empty) {
            Slot::Idle(lab) => *lab,
            other => {
                state.slot = other;
                return error(StatusCode::CONFLICT, "a drill is already running; `firedrill drill stop` first");
            }
        };
        let session = Session::begin(lab, drill);
        let status = session.status();
        state.slot = Slot::Drill(Box::new(session));
        reply(StatusCode::CREATED, &status)
    }

    pub async fn drill_status(&self) -> Reply {
        let state = self.state.lock().await;
        match &state.slot {
            Slot::Drill(s) => reply(StatusCode::OK, &s.status()),
            _ => error(
                StatusCode::NOT_FOUND,
                "no drill is running; start one with `firedrill drill start` (drawn) or `firedrill drill start SCENARIO`",
            ),
        }
    }

    pub async fn diagnose(&self, body: serde_json::Value) -> Reply {
        let submission: Submission = match serde_json::from_value(body) {
            Ok(s) => s,
            Err(e) => return bad(&format!("invalid diagnosis: {e}")),
        };
        let mut state = self.state.lock().await;
        let Slot::Drill(session) = &mut state.slot else {
            return error(StatusCode::CONFLICT, "no drill is running");
        };
        match session.diagnose(submission) {
            Ok(verdict) => reply(StatusCode::OK, &DiagnoseReply { verdict, status: session.status() }),
            Err(e) => error(StatusCode::CONFLICT, &e.to_string()),
        }
    }

    pub async fn hint(&self, body: serde_json::Value) -> Reply {
        let req: HintRequest = match serde_json::from_value(body) {
            Ok(r) => r,
            Err(e) => return bad(&format!("invalid hint request: {e}")),
        };
        let mut state = self.state.lock().await;
        let Slot::Drill(session) = &mut state.slot else {
            return error(StatusCode::CONFLICT, "no drill is running");
        };
        match session.hint(&req.player) {
            Ok(h) => reply(StatusCode::OK, &HintReply { text: h.text, cost: h.cost }),
            Err(e) => error(StatusCode::CONFLICT, &e.to_string()),
        }
    }

    pub async fn stop_drill(&self) -> Reply {
        let mut state = self.state.lock().await;
        if !matches!(state.slot, Slot::Drill(_)) {
            return error(StatusCode::CONFLICT, "no drill is running");
        }
        self.finish(&mut state).await;
        match &state.last_debrief {
            Some(d) => reply(StatusCode::OK, &debrief_reply(d)),
            None => error(StatusCode::INTERNAL_SERVER_ERROR, "the drill ended without a debrief"),
        }
    }

    pub async fn debrief(&self) -> Reply {
        let state = self.state.lock().await;
        match &state.last_debrief {
            Some(d) => reply(StatusCode::OK, &debrief_reply(d)),
            None => error(StatusCode::NOT_FOUND, "no finished drill yet"),
        }
    }

    pub async fn leaderboard(&self) -> Reply {
        let state = self.state.lock().await;
        let board = &state.leaderboard;
        reply(StatusCode::OK, &LeaderboardReply { leaderboard: board.clone(), markdown: board.to_markdown() })
    }
}

fn lab_view(
    lab: &Lab,
    screen: Option<std::net::SocketAddr>,
    drill_phase: Option<Phase>,
    drill_incident: Option<String>,
) -> LabStatus {
    let instances = lab
        .instances
        .iter()
        .map(|i| InstanceView { service: i.service.clone(), replica: i.replica, addr: i.addr, log: i.log.clone() })
        .collect();
    LabStatus {
        instances,
        loadgen: lab.loadgen,
        prometheus: lab.backends.prometheus,
        jaeger: lab.backends.jaeger,
        jaeger_ui: lab.jaeger_ui,
        victorialogs: lab.backends.victorialogs,
        logs: lab.logs(),
        screen,
        drill_phase,
        drill_incident,
    }
}

fn debrief_reply(d: &Debrief) -> DebriefReply {
    DebriefReply { debrief: d.clone(), markdown: d.to_markdown() }
}
