//! What every reconcile shares: the API client, the operator's configuration, metrics, the
//! event recorder, and the clients for the agents' admin API and loadgen's control API.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::runtime::events::{Recorder, Reporter};
use kube::{Api, Client};

use crate::error::{Error, Result};
use crate::injection::agent::{AdminClient, LoadgenClient};
use crate::metrics::Metrics;

/// The operator's settings (flags of the `firedrill-operator` binary).
#[derive(Debug, Clone)]
pub struct Config {
    /// Where Scenarios, FaultInjections, the admin token and the drills' truth live.
    pub control_namespace: String,
    /// Secret (in the control namespace) whose `token` key is the agents' bearer token.
    pub token_secret: String,
    /// Upper bound for one call to an agent or to loadgen.
    pub delivery_timeout: Duration,
    /// Play Drills in this namespace only (`None`: every namespace). Set it when several
    /// firedrill installations share a cluster, so each plays only its own lab's drills.
    pub lab_namespace: Option<String>,
    /// loadgen's control API, `http://HOST:PORT` without a trailing slash, where drills set
    /// their scenario's load (`None`: the traffic is left as it is).
    pub loadgen_url: Option<String>,
    /// The lab's Prometheus, Jaeger and VictoriaLogs, where the operator watches each drill's
    /// signals for the debrief (all `None`: not watched).
    pub backends: firedrill_backends::Backends,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            control_namespace: "firedrill-system".into(),
            token_secret: "firedrill-admin-token".into(),
            delivery_timeout: Duration::from_secs(2),
            lab_namespace: None,
            loadgen_url: None,
            backends: Default::default(),
        }
    }
}

/// Shared by all reconciles.
pub struct Context {
    pub client: Client,
    pub config: Config,
    pub metrics: Arc<Metrics>,
    pub recorder: Recorder,
    /// The chaos agents' admin API.
    pub agents: AdminClient,
    /// loadgen's `/rate`, at [`Config::loadgen_url`].
    pub loadgen: LoadgenClient,
    /// When this process first saw each FaultInjection (by UID), for injection latency:
    /// `creationTimestamp` has one-second resolution, too coarse for sub-second figures.
    pub first_seen: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
    /// The drill driver's memory of each running Drill's deliveries (by UID).
    pub drivers: std::sync::Mutex<std::collections::HashMap<String, firedrill_drill::Driver>>,
    /// The drills the game-day screen shows, as last reconciled.
    pub screen: Arc<crate::screen::Shown>,
}

impl Context {
    pub fn new(client: Client, config: Config, metrics: Arc<Metrics>) -> Arc<Context> {
        let reporter = Reporter { controller: crate::FIELD_MANAGER.into(), instance: std::env::var("POD_NAME").ok() };
        let recorder = Recorder::new(client.clone(), reporter);
        let agents = AdminClient::new(config.delivery_timeout);
        let loadgen = LoadgenClient::new(config.delivery_timeout);
        Arc::new(Context {
            client,
            config,
            metrics,
            recorder,
            agents,
            loadgen,
            first_seen: Default::default(),
            drivers: Default::default(),
            screen: Default::default(),
        })
    }

    /// The agents' bearer token, read on every use so a rotated Secret takes effect at once.
    pub async fn admin_token(&self) -> Result<String> {
        let (namespace, name) = (&self.config.control_namespace, &self.config.token_secret);
        let fail = |reason: String| Error::Token { namespace: namespace.clone(), name: name.clone(), reason };
        let secret = Api::<Secret>::namespaced(self.client.clone(), namespace)
            .get_opt(name)
            .await?
            .ok_or_else(|| fail("not found".into()))?;
        let bytes = secret.data.and_then(|d| d.get("token").cloned()).ok_or_else(|| fail("no `token` key".into()))?;
        let token = String::from_utf8(bytes.0).map_err(|_| fail("`token` is not UTF-8".into()))?;
        Ok(token.trim().to_string())
    }
}
