//! Command-line and environment configuration shared by every service binary.
//!
//! Precedence is clap's: flag > environment variable > default. The standard `OTEL_*`
//! variables are honoured. A bad value exits with code 64 (EX_USAGE) and a message, never a
//! panic.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::client::{ClientPolicy, RetryPolicy};
use crate::telemetry::{LogOutput, TelemetryConfig, TraceConfig};

/// Exit code for bad configuration (BSD `EX_USAGE`).
pub const EXIT_CONFIG: u8 = 64;

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the admin token file {path}: {source}")]
    TokenFile { path: PathBuf, source: std::io::Error },
    #[error("no admin token: set --admin-token-file or FIREDRILL_ADMIN_TOKEN (the admin API refuses to run open)")]
    NoToken,
    #[error(
        "OTEL_TRACES_SAMPLER={0} is not supported; use always_on, always_off, traceidratio or their parentbased_ forms"
    )]
    Sampler(String),
    #[error("{name} must be {expected}, got {value}")]
    Range { name: &'static str, expected: &'static str, value: String },
}

/// Flags every service takes: addresses, admin token, telemetry, shutdown.
#[derive(clap::Args, Debug, Clone)]
pub struct ServiceArgs {
    /// Address the service's HTTP API listens on.
    #[arg(long, env = "FIREDRILL_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Address of the admin API (chaos faults). Keep it off the players' network.
    #[arg(long, env = "FIREDRILL_ADMIN_LISTEN", default_value = "127.0.0.1:9080")]
    pub admin_listen: SocketAddr,
    /// File holding the admin bearer token (preferred over --admin-token).
    #[arg(long, env = "FIREDRILL_ADMIN_TOKEN_FILE")]
    pub admin_token_file: Option<PathBuf>,
    /// The admin bearer token itself.
    #[arg(long, env = "FIREDRILL_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Longest time in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(long, env = "FIREDRILL_SHUTDOWN_GRACE_MS", default_value_t = 5000)]
    pub shutdown_grace_ms: u64,
    /// OTLP/HTTP base URL; `/v1/traces` and `/v1/logs` are appended.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// OTLP/HTTP traces URL, used as is.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")]
    pub otlp_traces_endpoint: Option<String>,
    /// OTLP/HTTP logs URL, used as is.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT")]
    pub otlp_logs_endpoint: Option<String>,
    /// `otlp` to export logs over OTLP as well as stdout (default when a logs endpoint is set).
    #[arg(long, env = "OTEL_LOGS_EXPORTER")]
    pub logs_exporter: Option<String>,
    /// Trace sampler, as in the OpenTelemetry spec.
    #[arg(long, env = "OTEL_TRACES_SAMPLER", default_value = "parentbased_traceidratio")]
    pub traces_sampler: String,
    /// Sampler argument: the ratio for `*traceidratio` samplers.
    #[arg(long, env = "OTEL_TRACES_SAMPLER_ARG", default_value_t = 1.0)]
    pub traces_sampler_arg: f64,
}

/// Flags for the client side of a service's calls.
#[derive(clap::Args, Debug, Clone)]
pub struct ClientArgs {
    /// Concurrent calls allowed to each dependency (the connection pool size).
    #[arg(long, env = "FIREDRILL_POOL_SIZE", default_value_t = 32)]
    pub pool_size: usize,
    /// Timeout of one attempt, in milliseconds.
    #[arg(long, env = "FIREDRILL_ATTEMPT_TIMEOUT_MS", default_value_t = 1000)]
    pub attempt_timeout_ms: u64,
    /// Deadline of a whole call (retries and pool wait included), in milliseconds.
    #[arg(long, env = "FIREDRILL_DEADLINE_MS", default_value_t = 3000)]
    pub deadline_ms: u64,
    /// Total attempts per call, the first included.
    #[arg(long, env = "FIREDRILL_RETRY_ATTEMPTS", default_value_t = 2)]
    pub retry_attempts: u32,
    /// Base retry backoff in milliseconds (exponential, full jitter).
    #[arg(long, env = "FIREDRILL_RETRY_BACKOFF_MS", default_value_t = 20)]
    pub retry_backoff_ms: u64,
    /// Retry budget as retries per request (0.2 = 20%); 0 disables the budget.
    #[arg(long, env = "FIREDRILL_RETRY_BUDGET", default_value_t = 0.2)]
    pub retry_budget: f64,
}

/// Parses the command line; `--help` and `--version` exit 0, anything wrong exits 64.
pub fn parse_or_exit<T: Parser>() -> T {
    match T::try_parse() {
        Ok(v) => v,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let _ = e.print();
            std::process::exit(EXIT_CONFIG.into());
        }
    }
}

impl ServiceArgs {
    /// The admin token from the file or the variable; a service never runs its admin API open.
    pub fn token(&self) -> Result<String, ConfigError> {
        let token = match (&self.admin_token_file, &self.admin_token) {
            (Some(path), _) => std::fs::read_to_string(path)
                .map_err(|source| ConfigError::TokenFile { path: path.clone(), source })?
                .trim()
                .to_string(),
            (None, Some(t)) => t.trim().to_string(),
            (None, None) => String::new(),
        };
        if token.is_empty() { Err(ConfigError::NoToken) } else { Ok(token) }
    }

    /// Traces and logs configuration from the `OTEL_*` settings.
    pub fn telemetry(&self) -> Result<TelemetryConfig, ConfigError> {
        let base = self.otlp_endpoint.as_deref().map(|b| b.trim_end_matches('/').to_string());
        let traces = self.otlp_traces_endpoint.clone().or_else(|| base.as_ref().map(|b| format!("{b}/v1/traces")));
        let logs_wanted = self.logs_exporter.as_deref().is_none_or(|e| e == "otlp");
        let logs = self.otlp_logs_endpoint.clone().or_else(|| {
            (self.logs_exporter.as_deref() == Some("otlp"))
                .then(|| base.as_ref().map(|b| format!("{b}/v1/logs")))
                .flatten()
        });
        Ok(TelemetryConfig {
            traces: TraceConfig { endpoint: traces, ratio: self.sampler_ratio()?, ..TraceConfig::default() },
            otlp_logs_endpoint: logs.filter(|_| logs_wanted),
            log_output: LogOutput::Stdout,
        })
    }

    fn sampler_ratio(&self) -> Result<f64, ConfigError> {
        match self.traces_sampler.as_str() {
            "always_on" | "parentbased_always_on" => Ok(1.0),
            "always_off" | "parentbased_always_off" => Ok(0.0),
            "traceidratio" | "parentbased_traceidratio" if (0.0..=1.0).contains(&self.traces_sampler_arg) => {
                Ok(self.traces_sampler_arg)
            }
            "traceidratio" | "parentbased_traceidratio" => Err(ConfigError::Range {
                name: "OTEL_TRACES_SAMPLER_ARG",
                expected: "a ratio in 0..=1",
                value: self.traces_sampler_arg.to_string(),
            }),
            other => Err(ConfigError::Sampler(other.to_string())),
        }
    }

    pub fn grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms)
    }
}

impl ClientArgs {
    /// The client policy, range-checked.
    pub fn policy(&self) -> Result<ClientPolicy, ConfigError> {
        let range = |name, expected, ok: bool, value: String| {
            if ok { Ok(()) } else { Err(ConfigError::Range { name, expected, value }) }
        };
        range("--pool-size", "1..=10000", (1..=10_000).contains(&self.pool_size), self.pool_size.to_string())?;
        range(
            "--attempt-timeout-ms",
            "1..=600000",
            (1..=600_000).contains(&self.attempt_timeout_ms),
            self.attempt_timeout_ms.to_string(),
        )?;
        range(
            "--deadline-ms",
            ">= --attempt-timeout-ms",
            self.deadline_ms >= self.attempt_timeout_ms,
            self.deadline_ms.to_string(),
        )?;
        range("--retry-attempts", "1..=20", (1..=20).contains(&self.retry_attempts), self.retry_attempts.to_string())?;
        range("--retry-budget", "0..=10", (0.0..=10.0).contains(&self.retry_budget), self.retry_budget.to_string())?;
        Ok(ClientPolicy {
            pool_size: self.pool_size,
            attempt_timeout: Duration::from_millis(self.attempt_timeout_ms),
            deadline: Duration::from_millis(self.deadline_ms),
            retry: RetryPolicy {
                attempts: self.retry_attempts,
                backoff: Duration::from_millis(self.retry_backoff_ms),
                max_backoff: Duration::from_secs(1),
                budget_ratio: (self.retry_budget > 0.0).then_some(self.retry_budget),
            },
        })
    }
}
