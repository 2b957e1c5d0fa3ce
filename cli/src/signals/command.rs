//! `firedrill signals`: one phase of a scenario's verification
//! on backends that run elsewhere, for scripts that drive the faults themselves — `make
//! verify-kind` creates the Drill with kubectl and asks this command whether the kind lab's
//! Prometheus, Jaeger and VictoriaLogs show what the scenario promises.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, ValueEnum};
use firedrill_drill::Scenario;
use firedrill_drill::scenario::{Query, Signal};

use super::Findings;
use crate::output::{Colour, Progress, paint};
use crate::signals;
use firedrill_backends::{Backends, parse_addr};

/// Which phase of a verification to check.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No fault yet: no signal may hold (checked once).
    Baseline,
    /// Faults just became active: each signal must hold within its `withinSeconds`.
    Active,
    /// Faults just reverted: every signal must clear within `--within` seconds.
    Recovered,
}

#[derive(Args, Debug)]
#[command(after_help = "\
Exit status: 0 when the phase holds, 1 when it does not (each failure is printed), 64 on bad \
arguments.

Example, against the kind lab's port mappings:
  firedrill signals storefront-slow-flat-errors --culprit stock-query-hang --phase active \\
      --prometheus localhost:9090 --jaeger localhost:16686 --victorialogs localhost:9428")]
pub struct SignalsArgs {
    /// Scenario name (from the catalog) or path to a scenario file.
    pub scenario: String,
    /// The culprit whose signals (with the scenario's common ones) are checked.
    #[arg(long)]
    pub culprit: String,
    #[arg(long, value_enum)]
    pub phase: Phase,
    /// Prometheus, as host:port.
    #[arg(long, value_parser = parse_addr)]
    pub prometheus: std::net::SocketAddr,
    /// Jaeger's query API, as host:port (needed by trace signals).
    #[arg(long, value_parser = parse_addr)]
    pub jaeger: Option<std::net::SocketAddr>,
    /// VictoriaLogs, as host:port (needed by log signals).
    #[arg(long, value_parser = parse_addr)]
    pub victorialogs: Option<std::net::SocketAddr>,
    /// For `--phase recovered`: the longest wait for the signals to clear.
    #[arg(long, default_value_t = 90)]
    pub within: u64,
    /// Print the findings as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs one phase and prints what it found.
pub async fn signals(args: SignalsArgs, scenario: &Scenario) -> anyhow::Result<ExitCode> {
    let culprit = scenario.culprit(&args.culprit).with_context(|| unknown_culprit(scenario, &args.culprit))?;
    let backends = Backends::new(Some(args.prometheus), args.jaeger, args.victorialogs);
    let signals: Vec<&Signal> = scenario.signals_for(culprit).collect();
    let progress = Progress::new(args.json);
    let mut found = Findings::default();
    found.failures.extend(signals.iter().filter(|s| backends.addr(&s.query).is_none()).map(|s| backend_not_given(s)));
    if found.failures.is_empty() {
        match args.phase {
            Phase::Baseline => signals::baseline(&backends, &signals, &mut found).await?,
            Phase::Active => {
                let timings = signals::first_held(&backends, &signals, Instant::now(), &progress).await?;
                signals::judge(&backends, &signals, &timings, &mut found).await?;
            }
            Phase::Recovered => {
                let within = Duration::from_secs(args.within);
                signals::until_cleared(&backends, &signals, within, &progress, &mut found).await?;
            }
        }
    }
    let verdict = if found.failures.is_empty() { paint("PASS", Colour::Green) } else { paint("FAIL", Colour::Red) };
    progress.say(&format!("{verdict} {} / {}: {:?}", scenario.name, culprit.id, args.phase));
    found.print(&progress);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&found)?);
    }
    Ok(if found.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn unknown_culprit(scenario: &Scenario, id: &str) -> String {
    let ids: Vec<&str> = scenario.culprits.iter().map(|c| c.id.as_str()).collect();
    format!("scenario `{}` has no culprit `{id}`; expected one of {}", scenario.name, ids.join(", "))
}

fn backend_not_given(s: &Signal) -> String {
    let flag = match s.query {
        Query::Promql(_) => "--prometheus",
        Query::Traces(_) => "--jaeger",
        Query::Logsql(_) => "--victorialogs",
    };
    format!("`{}` is checked on {}; pass {flag} HOST:PORT", s.name, s.query.backend_name())
}
