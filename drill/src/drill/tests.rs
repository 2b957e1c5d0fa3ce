//! Lifecycle, modes, the player-safe view, the debrief and the leaderboard, end to end.

use super::*;
use crate::debrief::Event;
use crate::leaderboard::Leaderboard;
use crate::taxonomy::FaultClass;
use crate::verdict::Verdict;

fn retry_storm() -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/storefront-slow-flat-errors.yaml");
    Scenario::from_yaml("storefront-slow-flat-errors.yaml", &std::fs::read_to_string(path).unwrap()).unwrap()
}

fn t(secs: u64) -> Timestamp {
    Timestamp(1_000_000 + secs * 1000)
}

/// A drill of the stock-query-hang culprit, active since t(0).
fn active(mode: Mode) -> Drill {
    let s = retry_storm();
    let draw = Draw::of_culprit(&s, "stock-query-hang", 99).unwrap();
    let mut d = Drill::new("d1", s, draw, mode, t(0) - 60).unwrap();
    d.start_warm_up(t(0) - 30).unwrap();
    d.activate(t(0)).unwrap();
    d
}

impl std::ops::Sub<u64> for Timestamp {
    type Output = Timestamp;
    fn sub(self, secs: u64) -> Timestamp {
        Timestamp(self.0 - secs * 1000)
    }
}

fn answer(player: &str, team: Option<&str>, service: &str, class: FaultClass) -> Submission {
    Submission {
        player: player.into(),
        team: team.map(Into::into),
        service: service.into(),
        fault_class: class,
        note: None,
    }
}

fn teams(names: &[&str]) -> Mode {
    Mode::AllTeamsPlay { teams: names.iter().map(|s| s.to_string()).collect() }
}

#[test]
fn lifecycle_runs_in_order_and_refuses_skips() {
    let s = retry_storm();
    let draw = Draw::new(&s, 1);
    let mut d = Drill::new("d", s, draw, Mode::FirstCorrectWins, t(0)).unwrap();
    let e = d.activate(t(1)).unwrap_err();
    assert!(matches!(e, DrillError::WrongPhase { phase: Phase::Pending, .. }), "{e}");
    assert_eq!(d.phase(), Phase::Pending, "a refused transition changes nothing");
    assert!(d.revert(t(1)).is_err() && d.debrief(t(1)).is_err());
    d.start_warm_up(t(1)).unwrap();
    d.activate(t(2)).unwrap();
    assert_eq!(d.phase(), Phase::Active);
    assert!(d.start_warm_up(t(3)).is_err());
    assert_eq!(d.tick(t(2 + 899)).unwrap(), Phase::Active);
    assert_eq!(d.tick(t(2 + 900)).unwrap(), Phase::Expired);
    assert_eq!(d.ending(), Some((Ending::TimeUp, t(902))));
    d.revert(t(905)).unwrap();
    let first = d.debrief(t(906)).unwrap();
    assert_eq!(d.phase(), Phase::Debriefed);
    assert_eq!(d.debrief(t(1000)).unwrap(), first, "debrief is stable once given");
}

#[test]
fn time_cannot_go_backwards() {
    let mut d = active(Mode::FirstCorrectWins);
    let e = d.tick(t(0) - 1).unwrap_err();
    assert!(matches!(e, DrillError::TimeWentBackwards { .. }));
}

#[test]
fn first_correct_wins_and_later_answers_are_refused() {
    let mut d = active(Mode::FirstCorrectWins);
    assert_eq!(
        d.diagnose(t(60), answer("ann", None, "inventory", FaultClass::RetryAmplification)).unwrap(),
        Verdict::Wrong
    );
    assert_eq!(d.diagnose(t(90), answer("bob", None, "warehouse", FaultClass::Latency)).unwrap(), Verdict::Partial);
    assert_eq!(d.diagnose(t(120), answer("bob", None, "warehouse", FaultClass::Hang)).unwrap(), Verdict::Correct);
    assert_eq!(d.phase(), Phase::Solved);
    assert!(d.diagnose(t(130), answer("ann", None, "warehouse", FaultClass::Hang)).is_err());
    assert_eq!(d.winner().as_deref(), Some("bob"));
    let results = d.results();
    assert_eq!(results[0].contestant, "bob");
    assert_eq!(results[0].correct_after_ms, Some(120_000));
    assert_eq!(results[1].contestant, "ann");
    assert_eq!(results[1].score, 0);
}

#[test]
fn unknown_services_are_refused_not_judged() {
    let mut d = active(Mode::FirstCorrectWins);
    let e = d.diagnose(t(5), answer("ann", None, "wearhouse", FaultClass::Hang)).unwrap_err();
    assert!(e.to_string().starts_with("unknown service `wearhouse`; expected one of api,"), "{e}");
    assert!(d.diagnoses().is_empty());
}

#[test]
fn all_teams_play_scores_each_team_and_ends_when_all_are_correct() {
    assert_eq!(
        Drill::new("x", retry_storm(), Draw::new(&retry_storm(), 0), teams(&[]), t(0)).unwrap_err(),
        DrillError::NoTeams
    );
    let mut d = active(teams(&["red", "blue"]));
    assert!(matches!(
        d.diagnose(t(5), answer("ann", None, "warehouse", FaultClass::Hang)),
        Err(DrillError::TeamRequired(_))
    ));
    assert!(matches!(
        d.diagnose(t(5), answer("ann", Some("green"), "warehouse", FaultClass::Hang)),
        Err(DrillError::UnknownTeam(..))
    ));
    d.diagnose(t(100), answer("ann", Some("red"), "warehouse", FaultClass::Hang)).unwrap();
    assert_eq!(d.phase(), Phase::Active, "blue is still playing");
    assert_eq!(d.winner(), None, "no winner while the drill runs");
    assert!(matches!(
        d.diagnose(t(110), answer("al", Some("red"), "api", FaultClass::Hang)),
        Err(DrillError::AlreadyCorrect(_))
    ));
    d.diagnose(t(200), answer("bo", Some("blue"), "warehouse", FaultClass::Hang)).unwrap();
    assert_eq!(d.phase(), Phase::Solved);
    let results = d.results();
    assert_eq!(results.iter().map(|r| r.contestant.as_str()).collect::<Vec<_>>(), ["red", "blue"]);
    assert!(results[0].score > results[1].score && results[0].is_team);
    assert_eq!(d.winner().as_deref(), Some("red"));
}

#[test]
fn hints_unlock_over_time_per_contestant_and_cost_points() {
    let mut d = active(Mode::FirstCorrectWins);
    assert_eq!(d.unlock_hint(t(100), "ann").unwrap_err(), DrillError::HintLocked(80));
    let hint = d.unlock_hint(t(180), "ann").unwrap();
    assert_eq!(hint.cost, 50);
    assert_eq!(d.unlock_hint(t(181), "ann").unwrap_err(), DrillError::HintLocked(179));
    d.unlock_hint(t(181), "bob").unwrap();
    d.unlock_hint(t(600), "ann").unwrap();
    d.unlock_hint(t(600), "ann").unwrap();
    assert_eq!(d.unlock_hint(t(601), "ann").unwrap_err(), DrillError::NoMoreHints);
    d.diagnose(t(610), answer("ann", None, "warehouse", FaultClass::Hang)).unwrap();
    let ann = d.results().into_iter().find(|r| r.contestant == "ann").unwrap();
    assert_eq!(ann.hint_cost, 350);
}

#[test]
fn status_never_reveals_the_truth() {
    let mut d = active(Mode::FirstCorrectWins);
    d.diagnose(t(30), answer("ann", None, "pricing", FaultClass::Latency)).unwrap();
    let json = serde_json::to_string(&d.status(t(40))).unwrap();
    for secret in ["stock-query-hang", "warehouse", "hang", "\"seed\"", "99", "culprit", "story"] {
        assert!(!json.contains(secret), "status leaks {secret}: {json}");
    }
    let status = d.status(t(40));
    assert_eq!((status.elapsed_ms, status.remaining_ms), (40_000, 860_000));
    assert_eq!(status.diagnoses[0].verdict, Verdict::Wrong);
    // The drill itself does hold the truth, for the supervisor.
    assert!(serde_json::to_string(&d).unwrap().contains("stock-query-hang"));
}

/// Every shipped scenario, parsed.
fn shipped() -> Vec<Scenario> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.retain(|p| p.extension().is_some_and(|x| x == "yaml"));
    files.sort();
    let parse = |p: &std::path::PathBuf| Scenario::from_yaml("s.yaml", &std::fs::read_to_string(p).unwrap()).unwrap();
    files.iter().map(parse).collect()
}

#[test]
fn the_player_view_of_every_scenario_names_only_the_incident() {
    let scenarios = shipped();
    assert!(scenarios.len() >= 8);
    for s in scenarios {
        for culprit in &s.culprits {
            let draw = Draw::of_culprit(&s, &culprit.id, 5).unwrap();
            let mut d = Drill::new("drill-1", s.clone(), draw, Mode::FirstCorrectWins, t(0) - 60).unwrap();
            d.start_warm_up(t(0) - 30).unwrap();
            let warming = serde_json::to_string(&d.status(t(0) - 10)).unwrap();
            d.activate(t(0)).unwrap();
            while d.unlock_hint(t(599), "ann").is_ok() {}
            let active = serde_json::to_string(&d.status(t(599))).unwrap();
            for json in [&warming, &active] {
                assert!(json.contains(&format!("\"incident\":\"{}\"", s.incident)), "{json}");
                let ids = s.culprits.iter().map(|c| c.id.as_str());
                for secret in [s.name.as_str(), s.title.as_str()].into_iter().chain(ids) {
                    assert!(!json.contains(secret), "{}: the player view leaks `{secret}`: {json}", s.name);
                }
            }
        }
    }
}

#[test]
fn signals_are_recorded_once_and_must_exist() {
    let mut d = active(Mode::FirstCorrectWins);
    assert!(d.signal_seen(t(20), "inventory-logs-warehouse-timeouts").unwrap());
    assert!(!d.signal_seen(t(25), "inventory-logs-warehouse-timeouts").unwrap());
    assert!(
        matches!(d.signal_seen(t(25), "checkout-p95-over-800ms"), Err(DrillError::UnknownSignal(..))),
        "another culprit's signal"
    );
    assert_eq!(d.signals_seen()["inventory-logs-warehouse-timeouts"], t(20));
}

#[test]
fn debrief_tells_the_story_in_order() {
    let mut d = active(Mode::FirstCorrectWins);
    d.signal_seen(t(40), "product-p95-over-800ms").unwrap();
    d.unlock_hint(t(200), "ann").unwrap();
    d.diagnose(t(250), answer("ann", None, "inventory", FaultClass::RetryAmplification)).unwrap();
    d.diagnose(t(300), answer("ann", None, "warehouse", FaultClass::Hang)).unwrap();
    d.revert(t(310)).unwrap();
    let debrief = d.debrief(t(320)).unwrap();
    let kinds: Vec<&str> = debrief
        .timeline
        .iter()
        .map(|e| match &e.event {
            Event::WarmUp => "warm-up",
            Event::Injected => "injected",
            Event::Signal { .. } => "signal",
            Event::Hint { .. } => "hint",
            Event::Diagnosis { .. } => "diagnosis",
            Event::Ended { .. } => "ended",
            Event::Reverted => "reverted",
        })
        .collect();
    assert_eq!(kinds, ["warm-up", "injected", "signal", "hint", "diagnosis", "diagnosis", "ended", "reverted"]);
    assert_eq!(debrief.timeline[0].at_ms, -30_000);
    assert_eq!(debrief.seed, 99);
    assert_eq!(
        debrief.signals_never_seen,
        [
            "inventory-warehouse-spans-missing",
            "warehouse-traces-split",
            "warehouse-calls-per-edge-request-up-a-quarter",
            "inventory-logs-warehouse-timeouts"
        ]
    );
    let md = debrief.to_markdown();
    for needle in [
        "Culprit `stock-query-hang`: **warehouse** / **hang**",
        "| +4:10 | ann diagnosed inventory / retry-amplification -> **wrong** |",
        "```promql",
        "- which caller logs timeouts, and to which dependency (in VictoriaLogs)\n\n  ```logsql\n  _time:5m \"upstream timeout\"",
        "never | signal `inventory-warehouse-spans-missing`",
        "Winner: **ann**",
    ] {
        assert!(md.contains(needle), "markdown lacks {needle}:\n{md}");
    }
    let json = serde_json::to_value(&debrief).unwrap();
    assert_eq!(json["timeline"][4]["event"]["kind"], "diagnosis");
    assert_eq!(json["timeline"][4]["event"]["verdict"], "wrong");
    let back: crate::Debrief = serde_json::from_value(json).unwrap();
    assert_eq!(back, debrief);
}

#[test]
fn leaderboard_adds_drills_once_and_sorts() {
    let mut board = Leaderboard::default();
    for (id, winner, at) in [("d1", "ann", 100), ("d2", "bob", 50), ("d3", "ann", 400)] {
        let mut d = active(Mode::FirstCorrectWins);
        d = Drill { id: id.into(), ..d };
        d.diagnose(t(at), answer(winner, None, "warehouse", FaultClass::Hang)).unwrap();
        d.revert(t(at + 1)).unwrap();
        let debrief = d.debrief(t(at + 2)).unwrap();
        assert!(board.record(&debrief));
        assert!(!board.record(&debrief), "the same drill counts once");
    }
    let standings = board.standings();
    assert_eq!(standings[0].name, "ann");
    assert_eq!((standings[0].drills_played, standings[0].drills_solved), (2, 2));
    assert_eq!(standings[0].best_time_ms, Some(100_000));
    assert_eq!(standings[1].name, "bob");
    assert!(board.to_markdown().contains("| 1 | ann | "));
    let json = serde_json::to_string(&board).unwrap();
    assert_eq!(serde_json::from_str::<Leaderboard>(&json).unwrap(), board);
}

#[test]
fn phase_names_are_the_json_names() {
    use Phase::*;
    for phase in [Pending, WarmUp, Active, Solved, Expired, Reverted, Debriefed] {
        assert_eq!(serde_json::to_value(phase).unwrap(), phase.as_str(), "{phase:?}");
    }
}
