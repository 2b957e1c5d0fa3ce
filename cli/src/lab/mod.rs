//! The local lab: every service (with its replicas), loadgen and, when installed, a real
//! Prometheus, Jaeger and VictoriaLogs, as processes on loopback. Services export traces and
//! logs with the standard `OTEL_*` variables. Fault sets reach the services through the same
//! admin API the operator uses.

mod delivery;
pub mod jaeger;
pub mod ledger;
pub mod leftovers;
mod lifeline;
mod process;
pub mod procfs;
pub mod prometheus;
#[cfg(test)]
mod prometheus_tests;
mod tools;
mod topology;
pub mod victorialogs;

#[cfg(test)]
mod jaeger_tests;
#[cfg(test)]
mod test_services;
#[cfg(test)]
mod victorialogs_tests;

pub use process::{Process, SpawnError, free_addr};

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use firedrill_control::{AdminClient, ClientError, LoadRequest, LoadgenClient};
use firedrill_fault::{Fault, FaultSet};
use serde::Serialize;

use crate::http::Http;
use firedrill_backends::Backends;

/// What to start.
#[derive(Debug, Clone)]
pub struct LabOptions {
    /// Where logs, the Prometheus config and its data go.
    pub dir: PathBuf,
    /// Where the service binaries are.
    pub bin_dir: PathBuf,
    /// Replicas per service (absent = 1).
    pub replicas: BTreeMap<String, u32>,
    /// loadgen's starting rate.
    pub rate: f64,
    /// loadgen's endpoint mix, e.g. `product=8,checkout=2`.
    pub mix: String,
    /// Start Prometheus if it is installed.
    pub prometheus: bool,
    /// Start Jaeger if it is built (tools/jaeger/ensure.sh); services then send traces to it.
    pub jaeger: bool,
    /// Start VictoriaLogs if it is built (tools/victorialogs/ensure.sh); services then send
    /// logs to it (as well as to their log files).
    pub victorialogs: bool,
}

/// A running lab instance of a service.
#[derive(Debug, Clone, Serialize)]
pub struct Instance {
    pub service: String,
    pub replica: u32,
    pub addr: SocketAddr,
    #[serde(skip)]
    pub admin: SocketAddr,
    pub log: PathBuf,
}

/// The running lab.
pub struct Lab {
    pub dir: PathBuf,
    pub instances: Vec<Instance>,
    pub loadgen: SocketAddr,
    /// Prometheus, Jaeger and VictoriaLogs, those that run.
    pub backends: Backends,
    /// Whether the running Jaeger serves its web UI (official releases do, module builds not).
    pub jaeger_ui: bool,
    /// The `OTEL_EXPORTER_OTLP_*` variables every service gets.
    telemetry_env: Vec<(&'static str, String)>,
    token: String,
    processes: Vec<Process>,
    /// `processes.json`: what runs, for `lab down` should this process die first.
    ledger: ledger::Ledger,
    http: Http,
    admin: AdminClient,
    load: LoadgenClient,
    generation: u64,
}

/// Why the lab could not start or be driven.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error(
        "service binary {0} not found; build them first with `cargo build --release --bins` (or set FIREDRILL_BIN_DIR)"
    )]
    MissingBinary(String),
    #[error("delivering faults to {service}[{replica}]: {source}")]
    Deliver { service: String, replica: u32, source: ClientError },
    #[error("steering loadgen: {0}")]
    Load(#[source] ClientError),
    #[error(transparent)]
    Http(#[from] crate::http::HttpError),
}

impl LabError {
    /// `map_err(LabError::io("creating …"))`: an I/O failure, saying what was being done.
    fn io(what: &str) -> impl FnOnce(std::io::Error) -> LabError {
        let what = what.to_string();
        move |source| LabError::Io { what, source }
    }
}

const READY_WITHIN: Duration = Duration::from_secs(20);

/// Upper bound for one call to an admin API or to loadgen.
const CONTROL_TIMEOUT: Duration = Duration::from_secs(10);

/// Each service gets one worker thread, as a pod with a one-CPU limit would: CPU faults then
/// queue requests instead of borrowing the machine's other core.
const SERVICE_ENV: &[(&str, &str)] = &[("TOKIO_WORKER_THREADS", "1")];

// === impl Lab ===

impl Lab {
    /// Starts everything and waits until each process is ready.
    pub async fn up(opts: &LabOptions) -> Result<Lab, LabError> {
        std::fs::create_dir_all(opts.dir.join("logs"))
            .map_err(|source| LabError::Io { what: format!("creating {}", opts.dir.display()), source })?;
        let ledger = ledger::Ledger::create(&opts.dir, "firedrill")
            .map_err(|source| LabError::Io { what: format!("writing {}", ledger::FILE), source })?;
        let mut lab = Lab {
            dir: opts.dir.clone(),
            instances: Vec::new(),
            // Chosen in start_loadgen, right before it binds: a port picked here would stay
            // free (unbound) for as long as the services take to start, long enough for
            // another process to take it.
            loadgen: SocketAddr::from(([127, 0, 0, 1], 0)),
            backends: Backends::default(),
            jaeger_ui: false,
            telemetry_env: Vec::new(),
            token: new_token()?,
            processes: Vec::new(),
            ledger,
            http: Http::default(),
            admin: AdminClient::new(CONTROL_TIMEOUT),
            load: LoadgenClient::new(CONTROL_TIMEOUT),
            generation: 0,
        };
        // The backends start first, so they stop last, after every span and line is flushed.
        if opts.jaeger
            && let Some(binary) = jaeger::find()
        {
            lab.start_jaeger(&binary).await?;
        }
        if opts.victorialogs
            && let Some(binary) = victorialogs::find()
        {
            lab.start_victorialogs(&binary).await?;
        }
        for spec in &topology::services() {
            let replicas = opts.replicas.get(spec.name).copied().unwrap_or(1).max(1);
            for replica in 0..replicas {
                lab.start_service(opts, spec, replica).await?;
            }
        }
        lab.start_loadgen(opts).await?;
        if opts.prometheus
            && let Some(binary) = prometheus::find()
        {
            lab.start_prometheus(&binary).await?;
        }
        Ok(lab)
    }

    fn binary(opts: &LabOptions, name: &str) -> Result<PathBuf, LabError> {
        let path = opts.bin_dir.join(name);
        if path.is_file() { Ok(path) } else { Err(LabError::MissingBinary(path.display().to_string())) }
    }

    fn endpoints(&self, service: &str) -> String {
        let addrs: Vec<String> =
            self.instances.iter().filter(|i| i.service == service).map(|i| i.addr.to_string()).collect();
        addrs.join(",")
    }

    async fn start_service(
        &mut self,
        opts: &LabOptions,
        spec: &topology::ServiceSpec,
        replica: u32,
    ) -> Result<(), LabError> {
        let port = || free_addr().map_err(LabError::io("finding a free port"));
        let (addr, admin) = (port()?, port()?);
        let mut args = vec![
            "--listen".to_string(),
            addr.to_string(),
            "--admin-listen".into(),
            admin.to_string(),
            "--admin-token-file".into(),
            "/dev/stdin".into(),
        ];
        for (flag, dependency) in &spec.dependencies {
            args.extend([flag.to_string(), self.endpoints(dependency)]);
        }
        args.extend(spec.flags.iter().map(|f| f.to_string()));
        let mut env: Vec<(&str, &str)> = SERVICE_ENV.to_vec();
        env.extend(self.telemetry_env.iter().map(|(k, v)| (*k, v.as_str())));
        let label = format!("{}-{replica}", spec.name);
        let log = self.dir.join("logs").join(format!("{label}.log"));
        let mut process = Process::spawn(
            &self.ledger,
            &label,
            &Self::binary(opts, spec.name)?,
            &args,
            &env,
            log.clone(),
            Some(&self.token),
        )
        .await?;
        process.wait_ready(&self.http, &format!("http://{addr}/readyz"), READY_WITHIN).await?;
        self.processes.push(process);
        self.instances.push(Instance { service: spec.name.to_string(), replica, addr, admin, log });
        Ok(())
    }

    async fn start_loadgen(&mut self, opts: &LabOptions) -> Result<(), LabError> {
        self.loadgen = free_addr().map_err(LabError::io("finding a free port"))?;
        let args = vec![
            "--target".to_string(),
            self.endpoints("api"),
            "--rate".into(),
            opts.rate.to_string(),
            "--mix".into(),
            opts.mix.clone(),
            "--listen".into(),
            self.loadgen.to_string(),
        ];
        let log = self.dir.join("logs").join("loadgen.log");
        let mut process =
            Process::spawn(&self.ledger, "loadgen", &Self::binary(opts, "loadgen")?, &args, &[], log, None).await?;
        process.wait_ready(&self.http, &format!("http://{}/readyz", self.loadgen), READY_WITHIN).await?;
        self.processes.push(process);
        Ok(())
    }

    async fn start_jaeger(&mut self, binary: &Path) -> Result<(), LabError> {
        let (dir, log) = (self.dir.join("jaeger"), self.logs().join("jaeger.log"));
        let (process, addrs) = jaeger::start(&self.ledger, binary, &dir, log, &self.http).await?;
        self.processes.push(process);
        self.backends.jaeger = Some(addrs.query);
        self.jaeger_ui = jaeger::serves_ui(&self.http, addrs.query).await;
        self.telemetry_env.push(("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", jaeger::otlp_traces_url(&addrs)));
        Ok(())
    }

    async fn start_victorialogs(&mut self, binary: &Path) -> Result<(), LabError> {
        let (dir, log) = (self.dir.join("victorialogs"), self.logs().join("victorialogs.log"));
        let (process, addr) = victorialogs::start(&self.ledger, binary, &dir, log, &self.http).await?;
        self.processes.push(process);
        self.backends.victorialogs = Some(addr);
        self.telemetry_env.push(("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", victorialogs::otlp_logs_url(addr)));
        Ok(())
    }

    async fn start_prometheus(&mut self, binary: &Path) -> Result<(), LabError> {
        let mut jobs: Vec<prometheus::Job> = Vec::new();
        for i in &self.instances {
            match jobs.iter_mut().find(|j| j.name == i.service) {
                Some(job) => job.targets.push(i.addr),
                None => jobs.push(prometheus::Job { name: i.service.clone(), targets: vec![i.addr] }),
            }
        }
        jobs.push(prometheus::Job { name: "loadgen".into(), targets: vec![self.loadgen] });
        let dir = self.dir.join("prometheus");
        let io = LabError::io;
        std::fs::create_dir_all(&dir).map_err(io("creating the Prometheus directory"))?;
        std::fs::write(dir.join("prometheus.yml"), prometheus::config(&jobs)).map_err(io("writing prometheus.yml"))?;
        let addr = free_addr().map_err(io("finding a free port"))?;
        let log = self.dir.join("logs").join("prometheus.log");
        let mut process =
            Process::spawn(&self.ledger, "prometheus", binary, &prometheus::args(&dir, addr), &[], log, None).await?;
        process.wait_ready(&self.http, &format!("http://{addr}/-/ready"), Duration::from_secs(30)).await?;
        self.processes.push(process);
        self.backends.prometheus = Some(addr);
        Ok(())
    }

    /// Gives every instance its fault set (an empty one where `sets` has none), with a lease.
    pub async fn deliver(
        &mut self,
        sets: &BTreeMap<(String, u32), Vec<Fault>>,
        lease_seconds: u32,
    ) -> Result<(), LabError> {
        self.generation += 1;
        for i in &self.instances {
            let faults = firedrill_drill::driver::faults_of(sets, &i.service, i.replica);
            let set = FaultSet { generation: self.generation, lease_seconds, faults };
            self.admin.put(&i.admin.to_string(), &self.token, &set).await.map_err(|source| LabError::Deliver {
                service: i.service.clone(),
                replica: i.replica,
                source,
            })?;
        }
        Ok(())
    }

    /// Removes every fault from every instance.
    pub async fn clear(&self) -> Result<(), LabError> {
        for i in &self.instances {
            self.admin.clear(&i.admin.to_string(), &self.token).await.map_err(|source| LabError::Deliver {
                service: i.service.clone(),
                replica: i.replica,
                source,
            })?;
        }
        Ok(())
    }

    /// Sets loadgen's traffic (rate and mix); `None` sends it back to the rate and mix it was
    /// started with.
    pub async fn set_traffic(&self, traffic: Option<&firedrill_drill::Traffic>) -> Result<(), LabError> {
        let base = format!("http://{}", self.loadgen);
        match traffic {
            Some(t) => self.load.set(&base, &LoadRequest { rps: t.rps, mix: Some(t.mix.clone()) }).await,
            None => self.load.reset(&base).await,
        }
        .map_err(LabError::Load)?;
        Ok(())
    }

    /// Stops every process, callers first, each with a bounded grace period, then removes
    /// the record of them.
    pub async fn down(mut self) {
        while let Some(p) = self.processes.pop() {
            p.stop(Duration::from_secs(6)).await;
        }
        self.ledger.remove();
    }

    pub fn logs(&self) -> PathBuf {
        self.dir.join("logs")
    }
}

/// A fresh 128-bit admin token from the kernel's CSPRNG.
fn new_token() -> Result<String, LabError> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(LabError::io("reading /dev/urandom"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
