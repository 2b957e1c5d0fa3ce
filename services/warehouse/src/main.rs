//! `warehouse` binary: flags and environment, then the runtime runs the store.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use firedrill_runtime::config::{ClientArgs, ServiceArgs, parse_or_exit};

/// The lab's database-like store: a fixed set of connections and real per-query work.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Routes: GET /query/stock/{id}, GET /query/price/{id}, POST /query/reserve\nAdmin API (bearer token): PUT|GET|DELETE /chaos/faults, GET /chaos/metrics"
)]
struct Cli {
    #[command(flatten)]
    service: ServiceArgs,
    #[command(flatten)]
    client: ClientArgs,
    /// Concurrent queries (database connections); more queue.
    #[arg(long, env = "WAREHOUSE_CONNECTIONS", default_value_t = 16)]
    connections: usize,
    /// Median storage round-trip per query, in milliseconds.
    #[arg(long, env = "WAREHOUSE_STORAGE_LATENCY_MS", default_value_t = 4)]
    storage_latency_ms: u64,
}

fn main() -> ExitCode {
    let cli: Cli = parse_or_exit();
    if cli.connections == 0 {
        eprintln!("warehouse: configuration error: --connections must be at least 1");
        return ExitCode::from(firedrill_runtime::config::EXIT_CONFIG);
    }
    let settings = firedrill_warehouse::Settings {
        connections: cli.connections,
        storage_latency: Duration::from_millis(cli.storage_latency_ms),
    };
    firedrill_runtime::service::main("warehouse", &cli.service, &cli.client, |svc| {
        firedrill_warehouse::router(settings, svc.metrics())
    })
}
