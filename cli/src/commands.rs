//! The lab and drill subcommands: thin clients of the supervisor's control API, printing for
//! people by default and JSON with `--json`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use firedrill_drill::{DrillStatus, Phase, Submission, Verdict};
use http::Method;
use serde_json::Value;

use crate::control::{DebriefReply, HintReply, HintRequest, LabStatus, LeaderboardReply, StartRequest};
use crate::daemon;
use crate::output::{Colour, paint};

#[derive(Subcommand, Debug)]
pub enum LabCommand {
    /// Start the services, loadgen and Prometheus in the background.
    Up {
        /// loadgen's idle arrival rate until a drill sets its own.
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
    },
    /// The supervisor process itself (started by `lab up`).
    #[command(hide = true)]
    Supervise {
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
    },
    /// Where everything runs.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Stop everything and remove the lab's files.
    Down,
}

#[derive(Subcommand, Debug)]
pub enum DrillCommand {
    /// Start a drill: warm-up at baseline traffic, then the incident and the clock.
    Start {
        /// Scenario name or file; none = a mystery drill, the scenario drawn from the catalog.
        scenario: Option<String>,
        /// Draw the scenario from these catalog names only (comma-separated).
        #[arg(long, value_delimiter = ',', conflicts_with = "scenario")]
        from: Vec<String>,
        /// Seed of the draw, scenario and culprit (printed in the debrief, for replay).
        #[arg(long)]
        seed: Option<u64>,
        /// Seconds of baseline traffic before the incident.
        #[arg(long, default_value_t = firedrill_drill::driver::DEFAULT_WARM_UP.as_secs())]
        warm_up: u64,
        /// Teams, for all-teams-play (each team scored); none = first correct answer wins.
        #[arg(long = "team")]
        teams: Vec<String>,
    },
    /// Phase, clock, hints and diagnoses so far.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// End the drill now, revert the faults and show the debrief.
    Stop,
}

#[derive(Args, Debug)]
pub struct DiagnoseArgs {
    /// The service at fault.
    #[arg(long)]
    service: String,
    /// The fault class (see `firedrill diagnose --help` or the docs: latency, hang, errors,
    /// retry-amplification, pool-starvation, timeout-misconfiguration, resource, telemetry-gap).
    #[arg(long)]
    fault: firedrill_drill::FaultClass,
    #[arg(long, default_value = "player")]
    player: String,
    /// Team, in all-teams-play drills.
    #[arg(long)]
    team: Option<String>,
    /// Why you think so (shown in the debrief).
    #[arg(long)]
    note: Option<String>,
    #[arg(long)]
    json: bool,
}

pub async fn lab(cmd: LabCommand, catalog: &Path, bin_dir: &Path) -> anyhow::Result<ExitCode> {
    match cmd {
        LabCommand::Up { rate } => {
            eprintln!("starting the lab (services, loadgen, Prometheus) ...");
            daemon::up(catalog, bin_dir, rate).await?;
            print_lab(&call(Method::GET, "/lab", None).await?);
        }
        LabCommand::Supervise { rate } => daemon::supervise(catalog.to_path_buf(), bin_dir.to_path_buf(), rate).await?,
        LabCommand::Status { json } => {
            let status: LabStatus = call(Method::GET, "/lab", None).await?;
            if json { println!("{}", serde_json::to_string_pretty(&status)?) } else { print_lab(&status) }
        }
        LabCommand::Down => {
            println!("{}", crate::teardown::down().await?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Calls the supervisor and decodes its reply as `T`, one of the control API's wire types.
async fn call<T: serde::de::DeserializeOwned>(method: Method, path: &str, body: Option<Value>) -> anyhow::Result<T> {
    let reply = daemon::call(method, path, body).await?;
    serde_json::from_value(reply)
        .map_err(|e| anyhow::anyhow!("the supervisor's answer to {path} is not understood: {e}"))
}

fn print_lab(status: &LabStatus) {
    let addr = |a: Option<std::net::SocketAddr>| a.map(|a| a.to_string());
    for line in crate::output::backend_lines(
        addr(status.prometheus),
        addr(status.jaeger),
        status.jaeger_ui,
        addr(status.victorialogs),
    ) {
        println!("{}", line.trim_start());
    }
    for i in &status.instances {
        let name = format!("{}[{}]", i.service, i.replica);
        println!("{name:<13} http://{}/metrics   logs: {}", i.addr, i.log.display());
    }
    println!("loadgen      http://{}/metrics", status.loadgen);
    if let Some(screen) = status.screen {
        println!("{}", crate::screen::line(screen));
    }
    if let Some(phase) = status.drill_phase.and_then(|p| serde_json::to_value(p).ok()) {
        println!("drill        {}: {}", phase.as_str().unwrap_or("?"), status.drill_incident.as_deref().unwrap_or(""));
    }
}

pub async fn drill(cmd: DrillCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DrillCommand::Start { scenario, from, seed, warm_up, teams } => {
            let request = StartRequest { scenario, from, seed, warm_up_seconds: warm_up, teams };
            let status: DrillStatus = call(Method::POST, "/drill", Some(serde_json::to_value(&request)?)).await?;
            println!(
                "{}\n{}",
                paint(&format!("=== INCIDENT: {} ===", status.incident), Colour::Red),
                status.briefing.trim_end()
            );
            println!(
                "warming up for {warm_up} s; the clock starts with the incident. `firedrill drill status` shows it."
            );
        }
        DrillCommand::Status { json } => {
            let s = daemon::call(Method::GET, "/drill", None).await?;
            if json {
                println!("{s:#}")
            } else {
                let status: DrillStatus = serde_json::from_value(s).context("reading the supervisor's drill status")?;
                print!("{}", summary(&status));
            }
        }
        DrillCommand::Stop => {
            let d: DebriefReply = call(Method::POST, "/drill/stop", None).await?;
            println!("{}", d.markdown);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `m:ss`, to the second.
fn clock(ms: u64) -> String {
    let secs = ms / 1000;
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// Milliseconds since injection as a clock reading (`-0:05` before it).
fn at(ms: i64) -> String {
    if ms < 0 { format!("-{}", clock(ms.unsigned_abs())) } else { clock(ms as u64) }
}

/// `firedrill drill status`: what a player glances at between queries. The phase and clock
/// first, then every unlocked hint and every judged diagnosis, oldest first.
pub fn summary(s: &DrillStatus) -> String {
    let mut out = String::new();
    let mut line = |l: String| {
        out.push_str(&l);
        out.push('\n');
    };
    line(format!("incident   {}", s.incident));
    let limit = clock(u64::from(s.time_limit_seconds) * 1000);
    let clock_line = match s.phase {
        Phase::Pending | Phase::WarmUp => format!("not started (time limit {limit})"),
        _ => format!("{} elapsed, {} left of {limit}", clock(s.elapsed_ms), clock(s.remaining_ms)),
    };
    line(format!("phase      {:<10} {clock_line}", s.phase.as_str()));
    line(format!("hints      {} unlocked, {} more available", s.hints.len(), s.hints_available));
    for h in &s.hints {
        line(format!("  {:>6}  {} (-{}): {}", at(h.at_ms), h.contestant, h.cost, h.text.trim()));
    }
    if s.diagnoses.is_empty() {
        line("diagnoses  none yet".to_string());
    } else {
        line(format!("diagnoses  {}", s.diagnoses.len()));
    }
    for d in &s.diagnoses {
        let who = match &d.team {
            Some(team) => format!("{} ({team})", d.player),
            None => d.player.clone(),
        };
        let answer = format!("{} / {}", d.service, d.fault_class.as_str());
        line(format!("  {:>6}  {who:<16} {answer:<36} {}", at(d.at_ms), d.verdict.as_str()));
    }
    if let Some(w) = &s.winner {
        line(format!("winner     {w}"));
    }
    out
}

pub async fn diagnose(a: DiagnoseArgs) -> anyhow::Result<ExitCode> {
    let submission =
        Submission { player: a.player, team: a.team, service: a.service, fault_class: a.fault, note: a.note };
    let reply = daemon::call(Method::POST, "/drill/diagnoses", Some(serde_json::to_value(&submission)?)).await?;
    if a.json {
        println!("{reply:#}");
        return Ok(ExitCode::SUCCESS);
    }
    match serde_json::from_value::<Verdict>(reply["verdict"].clone()) {
        Ok(Verdict::Correct) => {
            println!("{}", paint("CORRECT — incident solved. `firedrill debrief` once the drill ends.", Colour::Green))
        }
        Ok(Verdict::Partial) => println!("{}", paint("PARTIAL — right service, wrong mechanism.", Colour::Yellow)),
        _ => println!("{}", paint("WRONG — keep investigating.", Colour::Red)),
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn hint(player: String) -> anyhow::Result<ExitCode> {
    let h: HintReply = call(Method::POST, "/drill/hints", Some(serde_json::to_value(HintRequest { player })?)).await?;
    println!("HINT (-{} points): {}", h.cost, h.text);
    Ok(ExitCode::SUCCESS)
}

pub async fn debrief(json: bool) -> anyhow::Result<ExitCode> {
    let d: DebriefReply = call(Method::GET, "/debrief", None).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&d.debrief)?)
    } else {
        println!("{}", d.markdown)
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn leaderboard(json: bool) -> anyhow::Result<ExitCode> {
    let l: LeaderboardReply = call(Method::GET, "/leaderboard", None).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&l.leaderboard)?)
    } else {
        println!("{}", l.markdown)
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(phase: &str) -> DrillStatus {
        serde_json::from_value(serde_json::json!({
            "id": "d", "incident": "storefront latency", "briefing": "PAGE: ...", "phase": phase,
            "mode": { "mode": "first-correct-wins" }, "timeLimitSeconds": 900,
            "elapsedMs": 252_400, "remainingMs": 647_600, "hintsAvailable": 2,
            "hints": [{ "contestant": "alice", "text": "Compare the calls.\n", "cost": 50, "atMs": 180_000 }],
            "diagnoses": [
                { "player": "alice", "service": "inventory", "faultClass": "latency", "atMs": 61_000, "verdict": "wrong" },
                { "player": "bob", "team": "red", "service": "warehouse", "faultClass": "hang", "atMs": 250_000, "verdict": "correct" }
            ],
            "winner": "bob"
        }))
        .unwrap()
    }

    #[test]
    fn the_summary_shows_phase_clock_hints_diagnoses_and_winner() {
        let text = summary(&status("solved"));
        let expected = [
            "incident   storefront latency",
            "phase      solved     4:12 elapsed, 10:47 left of 15:00",
            "hints      1 unlocked, 2 more available",
            "    3:00  alice (-50): Compare the calls.",
            "diagnoses  2",
            "    1:01  alice            inventory / latency",
            "wrong",
            "    4:10  bob (red)        warehouse / hang",
            "correct",
            "winner     bob",
        ];
        for part in expected {
            assert!(text.contains(part), "no {part:?} in:\n{text}");
        }
        assert!(!text.contains("PAGE"), "the briefing was printed at start, not in every status:\n{text}");
    }

    #[test]
    fn before_the_incident_the_clock_has_not_started() {
        let mut s = status("warm-up");
        s.diagnoses.clear();
        s.winner = None;
        let text = summary(&s);
        assert!(text.contains("phase      warm-up    not started (time limit 15:00)"), "{text}");
        assert!(text.contains("diagnoses  none yet"), "{text}");
        assert!(!text.contains("winner"), "{text}");
    }
}
