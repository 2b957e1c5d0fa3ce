//! The lab and drill subcommands: thin clients of the supervisor's control API, printing for
//! people by default and JSON with `--json`.

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use firedrill_drill::{Submission, Verdict};
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
    for line in crate::output::backend_lines(addr(status.prometheus), addr(status.jaeger), addr(status.victorialogs)) {
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
            let status = daemon::call(Method::POST, "/drill", Some(serde_json::to_value(&request)?)).await?;
            println!(
                "{}\n{}",
                paint(&format!("=== INCIDENT: {} ===", status["incident"].as_str().unwrap_or("")), Colour::Red),
                status["briefing"].as_str().unwrap_or("")
            );
            println!(
                "warming up for {warm_up} s; the clock starts with the incident. `firedrill drill status` shows it."
            );
        }
        DrillCommand::Status { json } => {
            let s = daemon::call(Method::GET, "/drill", None).await?;
            if json { println!("{s:#}") } else { print_status(&s) }
        }
        DrillCommand::Stop => {
            let d: DebriefReply = call(Method::POST, "/drill/stop", None).await?;
            println!("{}", d.markdown);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_status(s: &Value) {
    let secs = |k: &str| s[k].as_u64().unwrap_or(0) / 1000;
    println!(
        "{} — {}   elapsed {} s, remaining {} s",
        s["incident"].as_str().unwrap_or(""),
        s["phase"].as_str().unwrap_or(""),
        secs("elapsedMs"),
        secs("remainingMs")
    );
    for d in s["diagnoses"].as_array().into_iter().flatten() {
        println!(
            "  {} said {} / {}: {}",
            d["player"].as_str().unwrap_or(""),
            d["service"].as_str().unwrap_or(""),
            d["faultClass"].as_str().unwrap_or(""),
            d["verdict"].as_str().unwrap_or("")
        );
    }
    if let Some(w) = s["winner"].as_str() {
        println!("  solved by {w}");
    }
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
