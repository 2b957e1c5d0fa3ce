//! `firedrill`: play incident drills on the local lab, and verify scenarios.
//!
//! The local lab runs every service as a process on loopback with a real Prometheus; the
//! drill engine (crate `firedrill-drill`) decides what breaks and judges the answers.

mod catalog;
mod commands;
mod control;
mod daemon;
mod http;
mod lab;
mod output;
mod play;
mod screen;
mod session;
mod signals;
mod supervisor;
mod surfaces;
mod teardown;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::lab::LabOptions;
use crate::output::{Colour, Progress, paint};

/// Chaos drills for on-call engineers: break a lab of real services, find the root cause.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Start with: firedrill play   (a scenario drawn from the catalog; `firedrill scenarios list` to name one)"
)]
struct Cli {
    /// Scenario catalog directory.
    #[arg(long, global = true, env = "FIREDRILL_SCENARIOS", default_value = "scenarios")]
    scenarios_dir: PathBuf,
    /// Directory of the service binaries (default: next to this executable).
    #[arg(long, global = true, env = "FIREDRILL_BIN_DIR")]
    bin_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Play one drill in this terminal: lab up, warm-up, incident, debrief, lab down.
    Play {
        /// Scenario name (from the catalog) or path to a scenario file; none = a mystery drill,
        /// the scenario drawn from the catalog.
        scenario: Option<String>,
        /// Draw the scenario from these catalog names only (comma-separated).
        #[arg(long, value_delimiter = ',', conflicts_with = "scenario")]
        from: Vec<String>,
        /// Seed of the draw (scenario and culprit); the debrief prints it so a drill can be replayed.
        #[arg(long)]
        seed: Option<u64>,
        /// Your name on the leaderboard.
        #[arg(long, default_value = "player")]
        player: String,
        /// Seconds of baseline traffic before the incident starts.
        #[arg(long, default_value_t = firedrill_drill::driver::DEFAULT_WARM_UP.as_secs())]
        warm_up: u64,
    },
    /// The local lab in the background: `up`, `status`, `down`.
    #[command(subcommand)]
    Lab(commands::LabCommand),
    /// A drill on the running lab: `start`, `status`, `stop`.
    #[command(subcommand)]
    Drill(commands::DrillCommand),
    /// Submit a root cause for the running drill.
    Diagnose(commands::DiagnoseArgs),
    /// Unlock the next hint of the running drill (costs points).
    Hint {
        #[arg(long, default_value = "player")]
        player: String,
    },
    /// The debrief of the last finished drill.
    Debrief {
        #[arg(long)]
        json: bool,
    },
    /// Scores across drills.
    Leaderboard {
        #[arg(long)]
        json: bool,
    },
    /// Check scenario files; every mistake is reported as file:line:column.
    #[command(subcommand)]
    Scenarios(ScenariosCommand),
    /// Check one phase (baseline, active, recovered) of a scenario's signals on backends running
    /// elsewhere, e.g. the kind lab's; the faults are someone else's (a Drill object).
    Signals(signals::command::SignalsArgs),
    /// Run scenarios headless on the local lab and check their signals on real Prometheus, Jaeger and VictoriaLogs.
    Verify {
        /// Scenario names (default: the whole catalog).
        scenarios: Vec<String>,
        /// Seed of the culprit draw (ignored with --all-culprits).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Verify every culprit of each scenario instead of one drawn culprit, and that each
        /// culprit's own signals tell it from every other (one line per ordered pair).
        #[arg(long)]
        all_culprits: bool,
        /// Write a JUnit XML report here.
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Seconds of baseline traffic before the baseline check.
        #[arg(long, default_value_t = 40)]
        warm_up: u64,
        /// Print the report as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum ScenariosCommand {
    /// Validate scenario files (default: every file in the catalog directory), then each
    /// scenario's answer pool: its culprits must span at least 3 distinct answers (service,
    /// fault class), 2 services and 2 classes.
    Validate { files: Vec<PathBuf> },
    /// List the catalog.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Print each culprit of a scenario with the smallest seed whose draw picks it, one
    /// `<culprit> <seed>` per line (for a Drill's seed Secret, as `make verify-kind` does).
    Culprits { scenario: String },
}

fn main() -> ExitCode {
    let cli: Cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(64);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("firedrill: {e:#}");
            exit_code(&e)
        }
    }
}

/// 64 for bad input (an unknown scenario, a request the supervisor refused as bad), as for
/// bad flags; 1 for everything else.
fn exit_code(e: &anyhow::Error) -> ExitCode {
    let refused = e.downcast_ref::<daemon::Refused>().is_some_and(|r| r.status == ::http::StatusCode::BAD_REQUEST);
    if refused || e.downcast_ref::<firedrill_drill::ScenarioDrawError>().is_some() {
        ExitCode::from(64)
    } else {
        ExitCode::FAILURE
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let bin_dir = match cli.bin_dir.clone() {
        Some(d) => d,
        None => std::env::current_exe()?.parent().map(PathBuf::from).context("locating this executable")?,
    };
    match cli.command {
        Command::Scenarios(ScenariosCommand::Validate { files }) => validate(&cli.scenarios_dir, files),
        Command::Scenarios(ScenariosCommand::List { json }) => list(&cli.scenarios_dir, json),
        Command::Scenarios(ScenariosCommand::Culprits { scenario }) => {
            catalog::culprits(&catalog::scenario(&cli.scenarios_dir, &scenario)?)
        }
        Command::Signals(args) => {
            let scenario = catalog::scenario(&cli.scenarios_dir, &args.scenario)?;
            signals::command::signals(args, &scenario).await
        }
        Command::Play { scenario, from, seed, player, warm_up } => {
            let seed = seed.unwrap_or_else(session::fresh_seed);
            let replay = play::replay_command(scenario.as_deref(), &from, seed);
            let scenario = catalog::pick(&cli.scenarios_dir, scenario.as_deref(), &from, seed)?;
            let lab = lab_options(&scenario, bin_dir, "play")?;
            let opts = play::PlayOptions { lab, seed, player, warm_up: Duration::from_secs(warm_up), replay };
            play::play(opts, scenario).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Lab(cmd) => commands::lab(cmd, &cli.scenarios_dir, &bin_dir).await,
        Command::Drill(cmd) => commands::drill(cmd).await,
        Command::Diagnose(args) => commands::diagnose(args).await,
        Command::Hint { player } => commands::hint(player).await,
        Command::Debrief { json } => commands::debrief(json).await,
        Command::Leaderboard { json } => commands::leaderboard(json).await,
        Command::Verify { scenarios, seed, all_culprits, junit, warm_up, json } => {
            let opts = verify::VerifyOptions {
                lab_dir: state_dir("verify")?,
                bin_dir,
                warm_up: Duration::from_secs(warm_up),
                recovery: Duration::from_secs(90),
                distinguish: all_culprits,
            };
            run_verify(&cli.scenarios_dir, &scenarios, seed, all_culprits, junit, json, &opts).await
        }
    }
}

/// A fresh directory for one lab's logs and data under `.firedrill/`.
fn state_dir(kind: &str) -> anyhow::Result<PathBuf> {
    let dir = PathBuf::from(".firedrill").join(format!("{kind}-{}", session::now().0));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

fn lab_options(s: &firedrill_drill::Scenario, bin_dir: PathBuf, kind: &str) -> anyhow::Result<LabOptions> {
    Ok(LabOptions {
        dir: state_dir(kind)?,
        bin_dir,
        replicas: s.replicas.clone(),
        rate: s.load.rate_rps,
        mix: s.load.mix.loadgen_weights(),
        prometheus: true,
        jaeger: true,
        victorialogs: true,
    })
}

fn validate(dir: &std::path::Path, files: Vec<PathBuf>) -> anyhow::Result<ExitCode> {
    let files = if files.is_empty() { catalog::files_in(dir)? } else { files };
    let mut bad = 0;
    let mut loaded = Vec::new();
    for (name, text) in catalog::read(&files)? {
        match firedrill_drill::Scenario::from_yaml(&name, &text) {
            Ok(s) => {
                println!("{} {name} ({})", paint("ok", Colour::Green), s.name);
                loaded.push(s);
            }
            Err(errors) => {
                bad += 1;
                for e in errors.iter() {
                    eprintln!("{e}");
                }
            }
        }
    }
    bad += catalog::check_pools(&loaded);
    Ok(if bad == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn list(dir: &std::path::Path, json: bool) -> anyhow::Result<ExitCode> {
    let catalog = catalog::load(dir)?;
    if json {
        let rows: Vec<_> = catalog
            .iter()
            .map(|s| serde_json::json!({"name": s.name, "title": s.title, "difficulty": s.difficulty, "timeLimitSeconds": s.time_limit_seconds}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        for s in catalog.iter() {
            println!(
                "{:<26} {:<7} {:>3} min  {}",
                s.name,
                format!("{:?}", s.difficulty).to_lowercase(),
                s.time_limit_seconds / 60,
                s.title
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn run_verify(
    dir: &std::path::Path,
    names: &[String],
    seed: u64,
    all_culprits: bool,
    junit: Option<PathBuf>,
    json: bool,
    opts: &verify::VerifyOptions,
) -> anyhow::Result<ExitCode> {
    let catalog = catalog::load(dir)?;
    let scenarios: Vec<firedrill_drill::Scenario> = if names.is_empty() {
        catalog.iter().cloned().collect()
    } else {
        names.iter().map(|n| catalog::scenario(dir, n)).collect::<anyhow::Result<_>>()?
    };
    let progress = Progress::new(json);
    let mut reports = Vec::new();
    for s in &scenarios {
        let draws: Vec<firedrill_drill::Draw> = if all_culprits {
            s.culprits.iter().filter_map(|c| firedrill_drill::Draw::of_culprit(s, &c.id, seed)).collect()
        } else {
            vec![firedrill_drill::Draw::new(s, seed)]
        };
        for draw in draws {
            let report = verify::run_case(opts, s, &draw.culprit, &draw, &progress).await;
            let verdict = if report.found.failures.is_empty() {
                paint("PASS", Colour::Green)
            } else {
                paint("FAIL", Colour::Red)
            };
            progress.say(&format!("{verdict} {} / {} ({:.0} s)", report.scenario, report.culprit, report.seconds));
            report.found.print(&progress);
            reports.push(report);
        }
    }
    if let Some(path) = junit {
        std::fs::write(&path, verify::junit(&reports)).with_context(|| format!("writing {}", path.display()))?;
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    for line in verify::distinguish::summary(&reports) {
        progress.say(&line);
    }
    let failed = reports.iter().filter(|r| !r.found.failures.is_empty()).count();
    progress.say(&format!("{} of {} passed (seed {seed})", reports.len() - failed, reports.len()));
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
