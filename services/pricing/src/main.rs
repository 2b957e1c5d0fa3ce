//! `pricing` binary: flags and environment, then the runtime serves cached prices.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use firedrill_runtime::config::{ClientArgs, ServiceArgs, parse_or_exit};

/// Prices, cached in process in front of the warehouse.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Routes: GET /price/{id}\nCalls: warehouse\nAdmin API (bearer token): PUT|GET|DELETE /chaos/faults, GET /chaos/metrics"
)]
struct Cli {
    #[command(flatten)]
    service: ServiceArgs,
    #[command(flatten)]
    client: ClientArgs,
    /// Warehouse address(es), `host:port`, comma-separated for several replicas.
    #[arg(long, env = "WAREHOUSE_URL", default_value = "127.0.0.1:8083", value_delimiter = ',')]
    warehouse_url: Vec<String>,
    /// Prices kept in the cache.
    #[arg(long, env = "PRICING_CACHE_CAPACITY", default_value_t = 2000)]
    cache_capacity: usize,
    /// Seconds a cached price stays valid.
    #[arg(long, env = "PRICING_CACHE_TTL_SECONDS", default_value_t = 30)]
    cache_ttl_seconds: u64,
}

fn main() -> ExitCode {
    let cli: Cli = parse_or_exit();
    if cli.cache_capacity == 0 {
        eprintln!("pricing: configuration error: --cache-capacity must be at least 1");
        return ExitCode::from(firedrill_runtime::config::EXIT_CONFIG);
    }
    let cache = firedrill_pricing::CacheSettings {
        capacity: cli.cache_capacity,
        ttl: Duration::from_secs(cli.cache_ttl_seconds),
    };
    firedrill_runtime::service::main("pricing", &cli.service, &cli.client, |svc| {
        firedrill_pricing::router(svc.dependency("warehouse", cli.warehouse_url.clone()), cache, svc.metrics())
    })
}
