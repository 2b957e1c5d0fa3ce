//! One test's lab on the shared control plane: a control namespace `fd-ctl-<n>` with the
//! operator's RBAC from the chart and the admin-token Secret, a lab namespace `fd-lab-<n>`,
//! real firedrill services on loopback, Pod objects pointing at them, and the operator
//! running in-process as its service account (so the chart's RBAC is what it gets).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use firedrill_operator::metrics::Metrics;
use firedrill_operator::{Config, Context};
use firedrill_runtime::client::ClientPolicy;
use firedrill_runtime::http::Router;
use firedrill_runtime::telemetry::{LogOutput, TelemetryConfig};
use firedrill_runtime::{Running, Service, ServiceConfig};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Patch, PatchParams, PostParams};
use kube::core::{ApiResource, DynamicObject, GroupVersionKind};
use kube::{Api, Client};
use serde_json::json;

use super::cluster::{MAX_LABS, control_plane, operator_token};

/// The agents' bearer token in every lab.
pub const AGENT_TOKEN: &str = "agent-token-for-tests";
pub use super::wait::eventually;

/// The player group bound by charts/firedrill/templates/rbac-player.yaml in the tests.
pub const PLAYERS: &str = "firedrill:players";

static NEXT_LAB: AtomicU32 = AtomicU32::new(1);

pub struct Lab {
    pub n: u32,
    pub control: String,
    pub ns: String,
    pub admin: Client,
    pub metrics: Arc<Metrics>,
    /// loadgen's control API for the operator, when the test runs a loadgen.
    pub loadgen_url: Option<String>,
    /// The backends the operator watches signals on, when the test runs one.
    pub backends: firedrill_backends::Backends,
    operator: Option<(tokio::task::JoinHandle<()>, tokio::sync::oneshot::Sender<()>)>,
    /// Where the running operator's game-day screen answers (on loopback).
    pub screen: Option<std::net::SocketAddr>,
    screen_task: Option<(tokio::task::JoinHandle<()>, tokio::sync::oneshot::Sender<()>)>,
}

impl Lab {
    /// A fresh lab; `opted_in` labels the lab namespace `firedrill.dev/lab=true`.
    pub async fn new(opted_in: bool) -> Lab {
        // RUST_LOG=firedrill_operator=debug shows the operator's logs in failing tests.
        let filter = tracing_subscriber::EnvFilter::from_default_env();
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
        let n = NEXT_LAB.fetch_add(1, Ordering::SeqCst);
        assert!(n <= MAX_LABS, "more than {MAX_LABS} labs in one test binary; raise MAX_LABS");
        let plane = control_plane();
        let admin = plane.ready_admin().await;
        let (control, ns) = (format!("fd-ctl-{n}"), format!("fd-lab-{n}"));
        install_crds(&admin).await;
        apply(&admin, &namespace_yaml(&control, false)).await;
        apply(&admin, &namespace_yaml(&ns, opted_in)).await;
        let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../charts/firedrill/templates");
        let render = |file: &str| {
            std::fs::read_to_string(chart.join(file))
                .unwrap()
                .replace("{{ .Release.Namespace }}", &control)
                .replace("{{ .Values.lab.namespace }}", &ns)
                .replace("{{ .Values.players.group }}", PLAYERS)
        };
        apply(&admin, &render("rbac-operator.yaml")).await;
        apply(&admin, &render("rbac-player.yaml")).await;
        apply(&admin, &token_secret_yaml(&control)).await;
        Lab {
            n,
            control,
            ns,
            admin,
            metrics: Arc::new(Metrics::default()),
            loadgen_url: None,
            backends: Default::default(),
            operator: None,
            screen: None,
            screen_task: None,
        }
    }

    /// Starts the operator in-process, authenticated as its service account, with its
    /// game-day screen on a free loopback port ([`Lab::screen`]).
    pub async fn start_operator(&mut self) {
        let client = control_plane().client(&operator_token(self.n), None).await;
        let config = Config {
            control_namespace: self.control.clone(),
            delivery_timeout: Duration::from_secs(1),
            lab_namespace: Some(self.ns.clone()),
            loadgen_url: self.loadgen_url.clone(),
            backends: self.backends.clone(),
            ..Config::default()
        };
        let ctx = Context::new(client, config, self.metrics.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port for the screen");
        self.screen = Some(listener.local_addr().unwrap());
        let links = firedrill_screen::BackendUrls::default();
        let screen_config = firedrill_operator::screen::config(ctx.config.backends.prometheus, links);
        let (stop_screen, screen_stopped) = tokio::sync::oneshot::channel::<()>();
        let screen = firedrill_operator::screen::serve(listener, ctx.screen.clone(), screen_config, async move {
            let _ = screen_stopped.await;
        });
        self.screen_task = Some((tokio::spawn(screen), stop_screen));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(firedrill_operator::run(ctx, async move {
            let _ = stopped.await;
        }));
        self.operator = Some((task, stop));
    }

    /// Stops the operator and waits for it to finish.
    pub async fn stop_operator(&mut self) {
        if let Some((task, stop)) = self.operator.take() {
            let _ = stop.send(());
            tokio::time::timeout(Duration::from_secs(20), task).await.expect("operator stops").expect("operator task");
        }
        if let Some((task, stop)) = self.screen_task.take() {
            let _ = stop.send(());
            tokio::time::timeout(Duration::from_secs(5), task).await.expect("the screen stops").expect("screen task");
        }
    }

    /// A client acting as a player (impersonated by the admin).
    pub async fn player(&self) -> Client {
        control_plane().client(super::cluster::ADMIN_TOKEN, Some(("alice", &[PLAYERS]))).await
    }

    /// A Pod object for a service listening on loopback, marked Running at 127.0.0.1.
    pub async fn pod(&self, name: &str, labels: &[(&str, &str)], admin_port: u16) -> Pod {
        let labels: BTreeMap<&str, &str> = labels.iter().copied().collect();
        let pod: Pod = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": { "name": name, "namespace": self.ns, "labels": labels },
            "spec": { "containers": [{
                "name": "service", "image": "firedrill/service:test",
                "ports": [{ "name": "admin", "containerPort": admin_port }]
            }]}
        }))
        .unwrap();
        let pods: Api<Pod> = Api::namespaced(self.admin.clone(), &self.ns);
        pods.create(&PostParams::default(), &pod).await.expect("create pod");
        let status =
            json!({ "status": { "phase": "Running", "podIP": "127.0.0.1", "podIPs": [{ "ip": "127.0.0.1" }] } });
        pods.patch_status(name, &PatchParams::default(), &Patch::Merge(&status)).await.expect("pod status")
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some((task, _)) = self.operator.take() {
            task.abort();
        }
    }
}

/// A real firedrill service (chaos agent included) on loopback ports.
pub async fn service(name: &str) -> Running {
    let telemetry = TelemetryConfig { log_output: LogOutput::Discard, ..Default::default() };
    let config = ServiceConfig {
        name: name.into(),
        admin_token: AGENT_TOKEN.into(),
        telemetry,
        client: ClientPolicy::default(),
        grace: Duration::from_millis(100),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    Service::new(config).start(Router::new(), listener, admin).expect("service starts")
}

/// Server-side applies every document of a multi-document YAML text, as the admin.
pub async fn apply(client: &Client, text: &str) {
    for doc in text.split("\n---").filter(|d| d.lines().any(|l| !l.trim().is_empty() && !l.starts_with('#'))) {
        let obj: DynamicObject = serde_yaml::from_str(doc).unwrap_or_else(|e| panic!("{e}: {doc}"));
        let types = obj.types.clone().expect("apiVersion and kind");
        let gvk = GroupVersionKind::try_from(&types).unwrap();
        let plural = format!("{}s", types.kind.to_lowercase()).replace("policys", "policies");
        let ar = ApiResource::from_gvk_with_plural(&gvk, &plural);
        let api: Api<DynamicObject> = match &obj.metadata.namespace {
            Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
            None => Api::all_with(client.clone(), &ar),
        };
        let name = obj.metadata.name.clone().expect("name");
        let params = PatchParams::apply("firedrill-tests").force();
        api.patch(&name, &params, &Patch::Apply(&obj))
            .await
            .unwrap_or_else(|e| panic!("apply {}/{name}: {e}", types.kind));
    }
}

async fn install_crds(admin: &Client) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../charts/firedrill/crds");
    let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
        Api::all(admin.clone());
    for entry in std::fs::read_dir(&dir).expect("charts/firedrill/crds") {
        let path = entry.unwrap().path();
        apply(admin, &std::fs::read_to_string(&path).unwrap()).await;
        let name = path.file_stem().unwrap().to_string_lossy().trim_end_matches(".yaml").to_string();
        eventually(&format!("CRD {name} established"), Duration::from_secs(30), || async {
            let crd = crds.get(&name).await.ok()?;
            let conditions = crd.status?.conditions?;
            conditions.iter().any(|c| c.type_ == "Established" && c.status == "True").then_some(())
        })
        .await;
    }
}

fn namespace_yaml(name: &str, lab: bool) -> String {
    let labels = if lab { "\n  labels:\n    firedrill.dev/lab: \"true\"" } else { "" };
    format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}{labels}\n")
}

fn token_secret_yaml(control: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: firedrill-admin-token\n  namespace: {control}\nstringData:\n  token: {AGENT_TOKEN}\n"
    )
}
