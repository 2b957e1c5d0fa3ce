//! `loadgen` binary: open-loop traffic at a rate that can change while it runs.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use clap::Parser;
use firedrill_loadgen::{Generator, LoadMetrics, Mix, Settings};
use firedrill_runtime::chaos::ChaosAgent;
use firedrill_runtime::config::{EXIT_CONFIG, parse_or_exit};
use firedrill_runtime::server::{App, ObserveLayer, Stack, serve};
use firedrill_runtime::telemetry::{Telemetry, TelemetryConfig};
use tracing::instrument::WithSubscriber;

/// Open-loop (Poisson) traffic against the edge API, with the users' latency on /metrics.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Control API: GET /rate; PUT /rate {\"rps\": N, \"mix\": \"product=9,checkout=1\"} (mix optional); DELETE /rate (back to --rate and --mix); metrics on GET /metrics"
)]
struct Cli {
    /// The edge API, `host:port`.
    #[arg(long, env = "LOADGEN_TARGET", default_value = "127.0.0.1:8080")]
    target: String,
    /// Arrivals per second (Poisson).
    #[arg(long, env = "LOADGEN_RATE", default_value_t = 50.0)]
    rate: f64,
    /// Endpoint weights.
    #[arg(long, env = "LOADGEN_MIX", default_value = "product=9,checkout=1")]
    mix: Mix,
    /// Requests in flight at most; arrivals beyond are dropped and counted.
    #[arg(long, env = "LOADGEN_MAX_IN_FLIGHT", default_value_t = 512)]
    max_in_flight: usize,
    /// Client timeout per request, in milliseconds.
    #[arg(long, env = "LOADGEN_TIMEOUT_MS", default_value_t = 10_000)]
    timeout_ms: u64,
    /// Stop after this many seconds (default: run until SIGTERM/SIGINT).
    #[arg(long, env = "LOADGEN_DURATION_SECONDS")]
    duration_seconds: Option<u64>,
    /// Address of the control API and /metrics.
    #[arg(long, env = "FIREDRILL_LISTEN", default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
}

fn main() -> ExitCode {
    let cli: Cli = parse_or_exit();
    if !(0.0..=firedrill_loadgen::MAX_RPS).contains(&cli.rate) || cli.max_in_flight == 0 {
        eprintln!(
            "loadgen: configuration error: --rate must be 0..={} and --max-in-flight at least 1",
            firedrill_loadgen::MAX_RPS
        );
        return ExitCode::from(EXIT_CONFIG);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> ExitCode {
    let listener = match tokio::net::TcpListener::bind(cli.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("loadgen: cannot listen on {}: {e}", cli.listen);
            return ExitCode::FAILURE;
        }
    };
    // loadgen has no admin API: the agent only satisfies the telemetry pipeline and never
    // receives a fault.
    let telemetry = Telemetry::new("loadgen", TelemetryConfig::default(), Arc::new(ChaosAgent::new()));
    let metrics = telemetry.metrics.clone();
    let settings = Settings {
        target: cli.target.clone(),
        mix: cli.mix,
        max_in_flight: cli.max_in_flight,
        timeout: Duration::from_millis(cli.timeout_ms),
    };
    let generator = Generator::new(settings, cli.rate, LoadMetrics::new(&metrics));
    let router = firedrill_loadgen::router(generator.clone());
    let stack =
        Stack::new(tower::ServiceBuilder::new().layer(ObserveLayer::new(metrics.clone())).service(router.clone()));
    let app =
        Arc::new(App { router, stack, metrics, ready: AtomicBool::new(true), dispatch: telemetry.dispatch.clone() });
    let until = cli.duration_seconds.map(|s| Instant::now() + Duration::from_secs(s));
    let traffic = tokio::spawn(generator.run(until).with_subscriber(telemetry.dispatch.clone()));
    let stop = async move {
        tokio::select! {
            () = firedrill_runtime::shutdown::signal() => {},
            _ = traffic => {},
        }
    };
    tracing::info!(target: "firedrill_loadgen", target = %cli.target, rate = cli.rate, "sending");
    serve(listener, app, stop, Duration::from_secs(2)).await;
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    ExitCode::SUCCESS
}
