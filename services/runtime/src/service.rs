//! Wires one service together: telemetry, chaos agent, admin API, dependencies and the server.
//!
//! Binaries call [`main`]; tests call [`Service::start`] with `127.0.0.1:0` listeners and get a
//! [`Running`] handle, so both share one entry point.

use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower::ServiceBuilder;
use tracing::instrument::WithSubscriber;

use crate::chaos::ChaosAgent;
use crate::chaos::admin::Admin;
use crate::chaos::background::Background;
use crate::chaos::server::ChaosLayer;
use crate::client::{ClientPolicy, Dependency};
use crate::config::{ClientArgs, EXIT_CONFIG, ServiceArgs};
use crate::http::Router;
use crate::server::{App, ObserveLayer, Stack, serve};
use crate::telemetry::{Metrics, Telemetry, TelemetryConfig};

/// What a service needs besides its handlers.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub name: String,
    pub admin_token: String,
    pub telemetry: TelemetryConfig,
    pub client: ClientPolicy,
    pub grace: Duration,
}

impl ServiceConfig {
    /// A service that is built but never started, to inspect its router (tests): no token
    /// that matters, no telemetry export, the default client policy.
    pub fn inspected(name: &str) -> ServiceConfig {
        ServiceConfig {
            name: name.into(),
            admin_token: "inspected".into(),
            telemetry: TelemetryConfig::default(),
            client: ClientPolicy::default(),
            grace: Duration::ZERO,
        }
    }
}

/// A service under construction: add dependencies, then start it with a router.
pub struct Service {
    config: ServiceConfig,
    agent: Arc<ChaosAgent>,
    telemetry: Telemetry,
}

/// A started service; [`Running::stop`] shuts it down gracefully.
pub struct Running {
    pub addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pub agent: Arc<ChaosAgent>,
    pub metrics: Arc<Metrics>,
    stop: oneshot::Sender<()>,
    done: tokio::task::JoinHandle<()>,
}

// === impl Service ===

impl Service {
    pub fn new(config: ServiceConfig) -> Self {
        let agent = Arc::new(ChaosAgent::new());
        let telemetry = Telemetry::new(&config.name, config.telemetry.clone(), agent.clone());
        Service { config, agent, telemetry }
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.telemetry.metrics
    }

    pub fn agent(&self) -> &Arc<ChaosAgent> {
        &self.agent
    }

    /// A client for `name` at `endpoints` with the service's default policy.
    pub fn dependency(&self, name: &str, endpoints: Vec<String>) -> Arc<Dependency> {
        self.dependency_with(name, endpoints, self.config.client.clone())
    }

    /// A client for `name` with its own policy.
    pub fn dependency_with(&self, name: &str, endpoints: Vec<String>, policy: ClientPolicy) -> Arc<Dependency> {
        Arc::new(Dependency::new(name, endpoints, policy, self.agent.clone(), self.telemetry.metrics.client.clone()))
    }

    /// The request stack. Order matters: the last `.layer()` is innermost here because
    /// `ServiceBuilder` applies the first one outermost: observe wraps chaos wraps the router,
    /// so injected latency and errors are measured and traced like real ones.
    pub fn stack(router: Router, agent: Arc<ChaosAgent>, metrics: Arc<Metrics>) -> Stack {
        let svc = ServiceBuilder::new().layer(ObserveLayer::new(metrics)).layer(ChaosLayer::new(agent)).service(router);
        Stack::new(svc)
    }

    /// Serves on the given listeners until `stop` is sent or dropped.
    pub fn start(self, router: Router, listener: TcpListener, admin: TcpListener) -> std::io::Result<Running> {
        let addr = listener.local_addr()?;
        let admin_addr = admin.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let agent = self.agent.clone();
        let metrics = self.telemetry.metrics.clone();
        let done = tokio::spawn(self.run(router, listener, admin, async move {
            let _ = stopped.await;
        }));
        Ok(Running { addr, admin_addr, agent, metrics, stop, done })
    }

    /// Runs until `shutdown` resolves, then drains and flushes telemetry.
    pub async fn run(
        self,
        router: Router,
        listener: TcpListener,
        admin: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) {
        let Service { config, agent, telemetry } = self;
        let dispatch = telemetry.dispatch.clone();
        let stack = Service::stack(router.clone(), agent.clone(), telemetry.metrics.clone());
        let app = Arc::new(App {
            router,
            stack,
            metrics: telemetry.metrics.clone(),
            ready: AtomicBool::new(true),
            dispatch: dispatch.clone(),
        });
        let admin_api = Arc::new(Admin::new(agent.clone(), config.admin_token.clone()));
        let (admin_stop, admin_stopped) = oneshot::channel::<()>();
        let admin_task = tokio::spawn(serve_admin(admin, admin_api, admin_stopped).with_subscriber(dispatch.clone()));
        let sweeper = tokio::spawn(sweep(agent.clone()));
        let background = Background::start(agent.clone(), dispatch.clone());
        let addr = listener.local_addr().ok();
        tracing::dispatcher::with_default(&dispatch, || {
            tracing::info!(parent: None, service = %config.name, addr = ?addr, "listening");
        });
        serve(listener, app, shutdown, config.grace).with_subscriber(dispatch.clone()).await;
        tracing::dispatcher::with_default(
            &dispatch,
            || tracing::info!(parent: None, service = %config.name, "stopped"),
        );
        let _ = admin_stop.send(());
        let _ = admin_task.await;
        sweeper.abort();
        background.stop().await;
        let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    }
}

/// Drops expired leases even when no traffic comes by.
async fn sweep(agent: Arc<ChaosAgent>) {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tick.tick().await;
        agent.sweep();
    }
}

/// The admin API on the same accept loop as the service; its calls are short, so the drain is.
async fn serve_admin(listener: TcpListener, admin: Arc<Admin>, stop: oneshot::Receiver<()>) {
    let svc = hyper::service::service_fn(move |req| {
        let admin = admin.clone();
        async move { Ok::<_, std::convert::Infallible>(admin.handle(req).await) }
    });
    let stop = async move {
        let _ = stop.await;
    };
    crate::server::listen::run(listener, svc, stop, ADMIN_GRACE).await;
}

/// How long admin calls in flight at shutdown may take to finish.
const ADMIN_GRACE: Duration = Duration::from_secs(1);

// === impl Running ===

impl Running {
    /// Shuts down gracefully and waits for it.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.done.await;
    }
}

/// The whole life of a service binary: config, runtime, listeners, signals, exit code.
/// `build` adds dependencies and returns the router.
pub fn main<F>(name: &str, args: &ServiceArgs, client: &ClientArgs, build: F) -> ExitCode
where
    F: FnOnce(&Service) -> Router,
{
    let config = match service_config(name, args, client) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{name}: configuration error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{name}: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let (listener, admin) = match bind(args).await {
            Ok(pair) => pair,
            Err(e) => {
                eprintln!("{name}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let service = Service::new(config);
        let router = build(&service);
        service.run(router, listener, admin, crate::shutdown::signal()).await;
        ExitCode::SUCCESS
    })
}

fn service_config(
    name: &str,
    args: &ServiceArgs,
    client: &ClientArgs,
) -> Result<ServiceConfig, crate::config::ConfigError> {
    Ok(ServiceConfig {
        name: name.to_string(),
        admin_token: args.token()?,
        telemetry: args.telemetry()?,
        client: client.policy()?,
        grace: args.grace(),
    })
}

async fn bind(args: &ServiceArgs) -> Result<(TcpListener, TcpListener), String> {
    let listener =
        TcpListener::bind(args.listen).await.map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let admin = TcpListener::bind(args.admin_listen)
        .await
        .map_err(|e| format!("cannot listen on {} (admin): {e}", args.admin_listen))?;
    Ok((listener, admin))
}
