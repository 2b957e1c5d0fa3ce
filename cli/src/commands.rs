//! The lab and drill subcommands: thin clients of the supervisor's control API, printing for
//! people by default and JSON with `--json`.

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use http::Method;
use serde_json::{Value, json};

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
        #[arg(long, default_value_t = 30)]
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
            print_lab(&daemon::call(Method::GET, "/lab", None).await?);
        }
        LabCommand::Supervise { rate } => daemon::supervise(catalog.to_path_buf(), bin_dir.to_path_buf(), rate).await?,
        LabCommand::Status { json } => {
            let status = daemon::call(Method::GET, "/lab", None).await?;
            if json { println!("{status:#}") } else { print_lab(&status) }
        }
        LabCommand::Down => {
            println!("{}", crate::teardown::down().await?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_lab(status: &Value) {
    let addr = |key: &str| status[key].as_str().map(str::to_string);
    for line in crate::output::backend_lines(addr("prometheus"), addr("jaeger"), addr("victorialogs")) {
        println!("{}", line.trim_start());
    }
    for i in status["instances"].as_array().into_iter().flatten() {
        let name = format!("{}[{}]", i["service"].as_str().unwrap_or("?"), i["replica"]);
        println!(
            "{name:<13} http://{}/metrics   logs: {}",
            i["addr"].as_str().unwrap_or("?"),
            i["log"].as_str().unwrap_or("?")
        );
    }
    println!("loadgen      http://{}/metrics", status["loadgen"].as_str().unwrap_or("?"));
    if let Some(phase) = status["drillPhase"].as_str() {
        println!("drill        {phase}: {}", status["drillIncident"].as_str().unwrap_or(""));
    }
}

pub async fn drill(cmd: DrillCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DrillCommand::Start { scenario, from, seed, warm_up, teams } => {
            let body =
                json!({ "scenario": scenario, "from": from, "seed": seed, "warmUpSeconds": warm_up, "teams": teams });
            let status = daemon::call(Method::POST, "/drill", Some(body)).await?;
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
            let d = daemon::call(Method::POST, "/drill/stop", None).await?;
            println!("{}", d["markdown"].as_str().unwrap_or(""));
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
    let body =
        json!({ "player": a.player, "team": a.team, "service": a.service, "faultClass": a.fault, "note": a.note });
    let reply = daemon::call(Method::POST, "/drill/diagnoses", Some(body)).await?;
    if a.json {
        println!("{reply:#}");
        return Ok(ExitCode::SUCCESS);
    }
    match reply["verdict"].as_str() {
        Some("correct") => {
            println!("{}", paint("CORRECT — incident solved. `firedrill debrief` once the drill ends.", Colour::Green))
        }
        Some("partial") => println!("{}", paint("PARTIAL — right service, wrong mechanism.", Colour::Yellow)),
        _ => println!("{}", paint("WRONG — keep investigating.", Colour::Red)),
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn hint(player: String) -> anyhow::Result<ExitCode> {
    let h = daemon::call(Method::POST, "/drill/hints", Some(json!({ "player": player }))).await?;
    println!("HINT (-{} points): {}", h["cost"], h["text"].as_str().unwrap_or(""));
    Ok(ExitCode::SUCCESS)
}

pub async fn debrief(json: bool) -> anyhow::Result<ExitCode> {
    let d = daemon::call(Method::GET, "/debrief", None).await?;
    if json {
        println!("{:#}", d["debrief"])
    } else {
        println!("{}", d["markdown"].as_str().unwrap_or(""))
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn leaderboard(json: bool) -> anyhow::Result<ExitCode> {
    let l = daemon::call(Method::GET, "/leaderboard", None).await?;
    if json {
        println!("{:#}", l["leaderboard"])
    } else {
        println!("{}", l["markdown"].as_str().unwrap_or(""))
    }
    Ok(ExitCode::SUCCESS)
}
