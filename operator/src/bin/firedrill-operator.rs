//! The operator's binary: flags and environment into a [`Config`], then the controllers and
//! the metrics endpoint until SIGTERM/ctrl-c. Everything else lives in the library.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use firedrill_backends::{Backends, parse_addr};
use firedrill_operator::metrics::Metrics;
use firedrill_operator::{Config, Context};

/// Runs firedrill drills on a cluster: delivers FaultInjections, plays Drills, judges Diagnoses.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Namespace holding Scenarios, FaultInjections, the admin token and the drills' truth.
    #[arg(long, env = "FIREDRILL_CONTROL_NAMESPACE", default_value = "firedrill-system")]
    control_namespace: String,
    /// Secret in the control namespace whose `token` key is the chaos agents' bearer token.
    #[arg(long, env = "FIREDRILL_TOKEN_SECRET", default_value = "firedrill-admin-token")]
    token_secret: String,
    /// Upper bound for one call to a chaos agent.
    #[arg(long, env = "FIREDRILL_DELIVERY_TIMEOUT", default_value = "2s", value_parser = humantime::parse_duration)]
    delivery_timeout: Duration,
    /// Play Drills in this namespace only (default: every namespace).
    #[arg(long, env = "FIREDRILL_LAB_NAMESPACE")]
    lab_namespace: Option<String>,
    /// loadgen's control API, `http://HOST:PORT`. Each drill sets its scenario's load there
    /// (rate, steps, endpoint mix), then puts loadgen back to its own `--rate` and `--mix`
    /// when it ends. Unset: the traffic is left alone.
    #[arg(long, env = "FIREDRILL_LOADGEN_URL", value_parser = parse_base_url)]
    loadgen_url: Option<String>,
    /// The lab's Prometheus, `HOST:PORT`: the operator watches each drill's PromQL signals
    /// there, so the debrief shows when each first showed. Unset: those are not watched.
    #[arg(long, env = "FIREDRILL_PROMETHEUS_ADDR", value_parser = parse_host_port)]
    prometheus: Option<String>,
    /// The lab's Jaeger query API, `HOST:PORT`, for trace signals.
    #[arg(long, env = "FIREDRILL_JAEGER_ADDR", value_parser = parse_host_port)]
    jaeger: Option<String>,
    /// The lab's VictoriaLogs, `HOST:PORT`, for LogsQL signals.
    #[arg(long, env = "FIREDRILL_VICTORIALOGS_ADDR", value_parser = parse_host_port)]
    victorialogs: Option<String>,
    /// Where `/metrics` and `/healthz` listen.
    #[arg(long, env = "FIREDRILL_METRICS_ADDR", default_value = "0.0.0.0:8080")]
    metrics_addr: SocketAddr,
    /// Where the game-day screen (the read-only web page for the room) listens.
    #[arg(long, env = "FIREDRILL_SCREEN_ADDR", default_value = "0.0.0.0:8081")]
    screen_addr: SocketAddr,
    /// Prometheus' UI as the players' browsers reach it, `http://HOST:PORT`: the screen's
    /// debrief links its isolating PromQL queries there. Unset: those queries get no link.
    #[arg(long, env = "FIREDRILL_SCREEN_PROMETHEUS_URL", value_parser = parse_base_url)]
    screen_prometheus_url: Option<String>,
    /// Jaeger's UI as the players' browsers reach it, for the debrief's trace queries.
    #[arg(long, env = "FIREDRILL_SCREEN_JAEGER_URL", value_parser = parse_base_url)]
    screen_jaeger_url: Option<String>,
    /// VictoriaLogs' UI as the players' browsers reach it, for the debrief's LogsQL queries.
    #[arg(long, env = "FIREDRILL_SCREEN_VICTORIALOGS_URL", value_parser = parse_base_url)]
    screen_victorialogs_url: Option<String>,
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if e.use_stderr() => {
            let _ = e.print();
            return ExitCode::from(64);
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    tracing_subscriber::fmt().json().with_env_filter(env_filter()).init();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "operator failed");
            ExitCode::FAILURE
        }
    }
}

fn env_filter() -> tracing_subscriber::EnvFilter {
    tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,kube=warn".into())
}

async fn run(args: Args) -> anyhow::Result<()> {
    let client = kube::Client::try_default().await.context("connecting to the Kubernetes API")?;
    let config = Config {
        control_namespace: args.control_namespace,
        token_secret: args.token_secret,
        delivery_timeout: args.delivery_timeout,
        lab_namespace: args.lab_namespace,
        loadgen_url: args.loadgen_url,
        backends: Backends::new(
            resolve("--prometheus", args.prometheus)?,
            resolve("--jaeger", args.jaeger)?,
            resolve("--victorialogs", args.victorialogs)?,
        ),
    };
    let metrics = Arc::new(Metrics::default());
    let listener = tokio::net::TcpListener::bind(args.metrics_addr)
        .await
        .with_context(|| format!("binding {}", args.metrics_addr))?;
    let screen_listener = tokio::net::TcpListener::bind(args.screen_addr)
        .await
        .with_context(|| format!("binding {}", args.screen_addr))?;
    let ctx = Context::new(client, config, metrics.clone());
    tracing::info!(
        metrics = %args.metrics_addr, screen = %args.screen_addr, namespace = %ctx.config.control_namespace,
        "operator starting"
    );
    let links = firedrill_screen::BackendUrls {
        prometheus: args.screen_prometheus_url,
        jaeger: args.screen_jaeger_url,
        victorialogs: args.screen_victorialogs_url,
    };
    let screen_config = firedrill_operator::screen::config(ctx.config.backends.prometheus, links);
    let endpoint = firedrill_operator::endpoint::serve(listener, metrics, shutdown_signal());
    let screen =
        firedrill_operator::screen::serve(screen_listener, ctx.screen.clone(), screen_config, shutdown_signal());
    tokio::join!(endpoint, screen, firedrill_operator::run(ctx, shutdown_signal()));
    Ok(())
}

/// `HOST:PORT`, checked for its form only: names are resolved when the operator starts, so
/// `--help` works anywhere (in-cluster Service names resolve only inside the cluster).
fn parse_host_port(text: &str) -> Result<String, String> {
    match text.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && !host.contains('/') && port.parse::<u16>().is_ok() => {
            Ok(text.to_string())
        }
        _ => Err("expected HOST:PORT, e.g. prometheus.firedrill-system.svc:9090".into()),
    }
}

fn resolve(flag: &str, addr: Option<String>) -> anyhow::Result<Option<SocketAddr>> {
    addr.map(|a| parse_addr(&a).map_err(|e| anyhow::anyhow!("{flag}: {e}"))).transpose()
}

/// `http://HOST:PORT` (a trailing `/` is dropped): the base the operator appends `/rate` to.
fn parse_base_url(text: &str) -> Result<String, String> {
    let uri: http::Uri = text.parse().map_err(|e| format!("not a URL: {e}"))?;
    let plain_base = uri.path() == "/" && uri.query().is_none();
    if uri.scheme_str() != Some("http") || uri.authority().is_none() || !plain_base {
        return Err("expected http://HOST:PORT, e.g. http://loadgen.firedrill-lab.svc:8090".into());
    }
    Ok(text.trim_end_matches('/').to_string())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
