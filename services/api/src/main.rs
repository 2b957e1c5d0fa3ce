//! `api` binary: flags and environment, then the runtime serves the storefront's edge API.

use std::process::ExitCode;

use clap::Parser;
use firedrill_runtime::config::{ClientArgs, ServiceArgs, parse_or_exit};

/// The storefront's edge API: product pages (inventory + pricing) and checkouts.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Routes: GET /api/products/{id}, POST /api/checkout\nCalls: inventory, pricing, checkout\nAdmin API (bearer token): PUT|GET|DELETE /chaos/faults, GET /chaos/metrics"
)]
struct Cli {
    #[command(flatten)]
    service: ServiceArgs,
    #[command(flatten)]
    client: ClientArgs,
    /// Inventory address(es), `host:port`, comma-separated for several replicas.
    #[arg(long, env = "INVENTORY_URL", default_value = "127.0.0.1:8081", value_delimiter = ',')]
    inventory_url: Vec<String>,
    /// Pricing address(es).
    #[arg(long, env = "PRICING_URL", default_value = "127.0.0.1:8082", value_delimiter = ',')]
    pricing_url: Vec<String>,
    /// Checkout address(es).
    #[arg(long, env = "CHECKOUT_URL", default_value = "127.0.0.1:8084", value_delimiter = ',')]
    checkout_url: Vec<String>,
}

fn main() -> ExitCode {
    let cli: Cli = parse_or_exit();
    firedrill_runtime::service::main("api", &cli.service, &cli.client, |svc| {
        firedrill_api::router(firedrill_api::Upstreams {
            inventory: svc.dependency("inventory", cli.inventory_url.clone()),
            pricing: svc.dependency("pricing", cli.pricing_url.clone()),
            checkout: svc.dependency("checkout", cli.checkout_url.clone()),
        })
    })
}
