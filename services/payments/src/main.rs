//! `payments` binary: flags and environment, then the runtime serves charges.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use firedrill_runtime::config::{ClientArgs, ServiceArgs, parse_or_exit};

/// Card charges: fraud scoring and a card-processor round-trip.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Routes: POST /charge\nAdmin API (bearer token): PUT|GET|DELETE /chaos/faults, GET /chaos/metrics"
)]
struct Cli {
    #[command(flatten)]
    service: ServiceArgs,
    #[command(flatten)]
    client: ClientArgs,
    /// Mean card-processor round-trip in milliseconds.
    #[arg(long, env = "PAYMENTS_PROCESSOR_LATENCY_MS", default_value_t = 20)]
    processor_latency_ms: u64,
    /// Fraud-model rounds per charge (CPU cost).
    #[arg(long, env = "PAYMENTS_SCORING_ROUNDS", default_value_t = 200_000)]
    scoring_rounds: u32,
}

fn main() -> ExitCode {
    let cli: Cli = parse_or_exit();
    let settings = firedrill_payments::Settings {
        processor_latency: Duration::from_millis(cli.processor_latency_ms),
        scoring_rounds: cli.scoring_rounds,
    };
    firedrill_runtime::service::main("payments", &cli.service, &cli.client, |_| firedrill_payments::router(settings))
}
