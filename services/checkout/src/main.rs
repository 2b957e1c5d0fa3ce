//! `checkout` binary: flags and environment, then the runtime serves orders.

use std::process::ExitCode;

use clap::Parser;
use firedrill_runtime::config::{ClientArgs, ServiceArgs, parse_or_exit};

/// Orders: reserve stock through inventory, charge through payments.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Routes: POST /orders\nCalls: inventory, payments\nAdmin API (bearer token): PUT|GET|DELETE /chaos/faults, GET /chaos/metrics"
)]
struct Cli {
    #[command(flatten)]
    service: ServiceArgs,
    #[command(flatten)]
    client: ClientArgs,
    /// Inventory address(es), `host:port`, comma-separated for several replicas.
    #[arg(long, env = "INVENTORY_URL", default_value = "127.0.0.1:8081", value_delimiter = ',')]
    inventory_url: Vec<String>,
    /// Payments address(es).
    #[arg(long, env = "PAYMENTS_URL", default_value = "127.0.0.1:8085", value_delimiter = ',')]
    payments_url: Vec<String>,
}

fn main() -> ExitCode {
    let cli: Cli = parse_or_exit();
    firedrill_runtime::service::main("checkout", &cli.service, &cli.client, |svc| {
        firedrill_checkout::router(firedrill_checkout::Upstreams {
            inventory: svc.dependency("inventory", cli.inventory_url.clone()),
            payments: svc.dependency("payments", cli.payments_url.clone()),
        })
    })
}
