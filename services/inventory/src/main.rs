//! `inventory` binary: flags and environment, then the runtime serves stock and reservations.

use std::process::ExitCode;

use clap::Parser;
use firedrill_runtime::config::{ClientArgs, ServiceArgs, parse_or_exit};

/// Stock levels and reservations, backed by the warehouse.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Routes: GET /stock/{id}, POST /reserve\nCalls: warehouse\nAdmin API (bearer token): PUT|GET|DELETE /chaos/faults, GET /chaos/metrics"
)]
struct Cli {
    #[command(flatten)]
    service: ServiceArgs,
    #[command(flatten)]
    client: ClientArgs,
    /// Warehouse address(es), `host:port`, comma-separated for several replicas.
    #[arg(long, env = "WAREHOUSE_URL", default_value = "127.0.0.1:8083", value_delimiter = ',')]
    warehouse_url: Vec<String>,
}

fn main() -> ExitCode {
    let cli: Cli = parse_or_exit();
    firedrill_runtime::service::main("inventory", &cli.service, &cli.client, |svc| {
        firedrill_inventory::router(svc.dependency("warehouse", cli.warehouse_url.clone()))
    })
}
