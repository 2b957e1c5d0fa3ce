//! The live cluster the e2e tests run against: the chart installed in the control and lab
//! namespaces `make e2e` uses, reached through KUBECONFIG.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::{Api, Client, Config};
use serde_json::{Value, json};

use firedrill_operator::crd::FaultInjection;
use firedrill_operator::drill::truth::DRILL_UID_LABEL;
use firedrill_operator::injection::select::admin_endpoint;

use crate::support::wait::eventually;

/// The scenario every e2e drill plays, at seed 1, which draws `pricing-slow-lookups` (pricing
/// latency; `firedrill scenarios culprits storefront-slow-flat-errors` lists the seeds).
const SCENARIO: &str = "storefront-slow-flat-errors";

/// The label selector of the operator's pods (the chart's operator Deployment).
pub const OPERATOR_PODS: &str = "app.kubernetes.io/name=firedrill-operator";

pub struct Cluster {
    pub client: Client,
    pub control: String,
    pub lab: String,
    /// The agents' bearer token (read as the facilitator).
    pub agent_token: String,
}

pub struct Drill {
    pub name: String,
    pub uid: String,
    secret: String,
}

/// The pods one of the drill's FaultInjections selects, and what it delivers.
pub struct Targeted {
    pub deployment: String,
    pub labels: BTreeMap<String, String>,
    pub faults: usize,
    pub lease_seconds: u32,
}

impl Cluster {
    pub async fn new() -> Cluster {
        let client =
            Client::try_default().await.expect("KUBECONFIG names the e2e cluster (run through tools/cluster/exec.sh)");
        let control = std::env::var("CONTROL_NS").unwrap_or_else(|_| "firedrill-system".into());
        let lab = std::env::var("LAB_NS").unwrap_or_else(|_| "firedrill-lab".into());
        let secrets: Api<Secret> = Api::namespaced(client.clone(), &lab);
        let secret =
            secrets.get("firedrill-agent-token").await.expect("the agent token Secret (is the chart installed?)");
        let token = secret.data.and_then(|d| d.get("token").cloned()).expect("token key");
        let agent_token = String::from_utf8(token.0).expect("utf-8 token").trim().to_string();
        Cluster { client, control, lab, agent_token }
    }

    /// A client that is the player alice of the chart's players group.
    pub async fn player(&self) -> Client {
        let mut config = Config::infer().await.expect("kubeconfig");
        config.auth_info.impersonate = Some("alice".into());
        config.auth_info.impersonate_groups = Some(vec!["firedrill:players".into()]);
        Client::try_from(config).expect("player client")
    }

    /// A drill of [`SCENARIO`] at seed 1, started the facilitator's way (a draw Secret), once
    /// it is Ready (every FaultInjection delivered).
    pub async fn start_drill(&self, tag: &str) -> Drill {
        let drill = self.create_drill(tag, 5).await;
        eventually(&format!("drill {} Ready", drill.name), Duration::from_secs(120), || async {
            let status = self.drill_status(&drill).await;
            let conditions = status["conditions"].as_array()?.clone();
            conditions.iter().any(|c| c["type"] == "Ready" && c["status"] == "True").then_some(())
        })
        .await;
        drill
    }

    /// Creates that drill (warming up `warm_up` seconds, lasting 15 minutes) without waiting.
    pub async fn create_drill(&self, tag: &str, warm_up: u32) -> Drill {
        let secret = format!("e2e-{tag}-draw");
        let secrets: Api<Secret> = Api::namespaced(self.client.clone(), &self.control);
        let _ = secrets.delete(&secret, &DeleteParams::default()).await;
        let draw: Secret = serde_json::from_value(json!({
            "metadata": { "name": secret },
            "stringData": { "scenario": SCENARIO, "seed": "1" }
        }))
        .unwrap();
        secrets.create(&PostParams::default(), &draw).await.expect("create the draw Secret");
        let drills: Api<firedrill_operator::crd::Drill> = Api::namespaced(self.client.clone(), &self.lab);
        let drill: firedrill_operator::crd::Drill = serde_json::from_value(json!({
            "apiVersion": "firedrill.dev/v1alpha1", "kind": "Drill",
            "metadata": { "generateName": format!("e2e-{tag}-") },
            "spec": { "drawSecret": secret, "warmUpSeconds": warm_up, "timeLimitSeconds": 900 }
        }))
        .unwrap();
        let created = drills.create(&PostParams::default(), &drill).await.expect("create the Drill");
        let name = created.metadata.name.clone().unwrap();
        let uid = created.metadata.uid.clone().unwrap();
        Drill { name, uid, secret }
    }

    pub async fn drill_status(&self, drill: &Drill) -> Value {
        let drills: Api<kube::api::DynamicObject> = Api::namespaced_with(
            self.client.clone(),
            &self.lab,
            &kube::api::ApiResource::erase::<firedrill_operator::crd::Drill>(&()),
        );
        drills.get(&drill.name).await.map(|d| d.data["status"].clone()).unwrap_or(Value::Null)
    }

    /// Deletes the drill (the operator reverts it) and waits until its FaultInjections are gone.
    pub async fn stop_drill(&self, drill: &Drill) {
        let drills: Api<firedrill_operator::crd::Drill> = Api::namespaced(self.client.clone(), &self.lab);
        drills.delete(&drill.name, &DeleteParams::default()).await.expect("delete the Drill");
        let injections: Api<FaultInjection> = Api::namespaced(self.client.clone(), &self.control);
        let selector = format!("{DRILL_UID_LABEL}={}", drill.uid);
        eventually("the drill's FaultInjections gone", Duration::from_secs(90), || async {
            injections.list(&ListParams::default().labels(&selector)).await.ok()?.items.is_empty().then_some(())
        })
        .await;
        let secrets: Api<Secret> = Api::namespaced(self.client.clone(), &self.control);
        let _ = secrets.delete(&drill.secret, &DeleteParams::default()).await;
    }

    /// One of the drill's FaultInjections with faults whose pods all belong to one Deployment
    /// (inventory's culprit selects three, one per replica), and that Deployment.
    pub async fn targeted(&self, drill: &Drill) -> Targeted {
        let injections: Api<FaultInjection> = Api::namespaced(self.client.clone(), &self.control);
        let selector = format!("{DRILL_UID_LABEL}={}", drill.uid);
        let list = injections.list(&ListParams::default().labels(&selector)).await.expect("FaultInjections");
        for fi in list.items.iter().filter(|fi| !fi.spec.faults.is_empty()) {
            let mut target = Targeted {
                deployment: String::new(),
                labels: fi.spec.selector.match_labels.clone(),
                faults: fi.spec.faults.len(),
                lease_seconds: fi.spec.lease_seconds,
            };
            let mut owners: Vec<String> = target.pods(self).await.iter().filter_map(deployment_of).collect();
            owners.dedup();
            if let [deployment] = owners.as_slice() {
                target.deployment = deployment.clone();
                return target;
            }
        }
        panic!("no FaultInjection of {} selects the pods of exactly one Deployment", drill.name);
    }

    /// A player's wrong diagnosis `<player>-<tag>` (checkout errors: no culprit of the scenario),
    /// so the drill stays active.
    pub async fn diagnose(&self, drill: &Drill, player: &str, tag: &str) {
        let api: Api<kube::api::DynamicObject> = Api::namespaced_with(
            self.player().await,
            &self.lab,
            &kube::api::ApiResource::erase::<firedrill_operator::crd::Diagnosis>(&()),
        );
        let d: kube::api::DynamicObject = serde_json::from_value(json!({
            "apiVersion": "firedrill.dev/v1alpha1", "kind": "Diagnosis",
            "metadata": { "name": format!("{player}-{tag}") },
            "spec": { "drill": drill.name, "player": player, "service": "checkout", "faultClass": "errors" }
        }))
        .unwrap();
        api.create(&PostParams::default(), &d).await.expect("a player creates a Diagnosis");
    }

    /// The names of the diagnoses the drill's status lists as judged.
    pub async fn judged(&self, drill: &Drill) -> Vec<String> {
        let status = self.drill_status(drill).await;
        let list = status["diagnoses"].as_array().cloned().unwrap_or_default();
        list.iter().filter(|d| d["verdict"].is_string()).filter_map(|d| d["name"].as_str().map(String::from)).collect()
    }

    pub async fn operator_pod(&self) -> String {
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &self.control);
        let list = pods.list(&ListParams::default().labels(OPERATOR_PODS)).await;
        list.expect("operator pods").items[0].metadata.name.clone().unwrap()
    }

    /// What a lab log may never say: the scenario's name, every culprit's id and service-free
    /// delivery words, the drill's uid, the admin token.
    pub async fn bookkeeping_words(&self, drill: &Drill) -> Vec<String> {
        let mut words = vec![
            SCENARIO.to_string(),
            drill.uid.clone(),
            self.agent_token.clone(),
            "FaultInjection".into(),
            "fault set".into(),
            "chaos/faults".into(),
        ];
        // The installed catalog, parsed by the engine (the Scenario objects carry the files).
        let scenarios: Api<firedrill_operator::crd::Scenario> = Api::namespaced(self.client.clone(), &self.control);
        for s in scenarios.list(&ListParams::default()).await.expect("Scenarios").items {
            let scenario =
                firedrill_drill::scenario::Scenario::from_yaml(&s.spec.file, &s.spec.source).expect("a valid Scenario");
            words.push(scenario.name.clone());
            words.push(scenario.title.clone());
            words.extend(scenario.culprits.iter().map(|c| c.id.clone()));
        }
        words.sort();
        words.dedup();
        words
    }

    /// Waits for a pod of the target not in `old` to become Ready and carry the faults; returns
    /// how long after its Ready (seen by polling every 50 ms) the faults were seen on its agent
    /// (zero when they were there first), and the pod's name.
    pub async fn new_replica_carries(&self, target: &Targeted, old: &[&str]) -> (Duration, String) {
        let admin = firedrill_control::AdminClient::new(Duration::from_millis(500));
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut ready_at: Option<Instant> = None;
        let mut carried_at: Option<Instant> = None;
        loop {
            assert!(
                Instant::now() < deadline,
                "no new replica of {} Ready with the faults in 120 s",
                target.deployment
            );
            let pods = target.pods(self).await;
            if let Some(pod) = pods.iter().find(|p| !old.contains(&p.metadata.name.as_deref().unwrap_or(""))) {
                let name = pod.metadata.name.clone().unwrap();
                if ready_at.is_none() && ready(pod) {
                    ready_at = Some(Instant::now());
                }
                if carried_at.is_none()
                    && let Some(addr) = admin_endpoint(pod)
                    && let Ok(reply) = admin.get(&addr, &self.agent_token).await
                    && reply.faults.len() == target.faults
                {
                    carried_at = Some(Instant::now());
                }
                if let (Some(r), Some(c)) = (ready_at, carried_at) {
                    return (c.saturating_duration_since(r), name);
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Targeted {
    pub async fn pods(&self, cluster: &Cluster) -> Vec<Pod> {
        let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), &cluster.lab);
        let selector: Vec<String> = self.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let list = pods.list(&ListParams::default().labels(&selector.join(","))).await.expect("pods");
        list.items.into_iter().filter(|p| p.metadata.deletion_timestamp.is_none()).collect()
    }

    /// (pod name, admin `ip:port`) of every targeted pod with an IP.
    pub async fn agents(&self, cluster: &Cluster) -> Vec<(String, String)> {
        let pods = self.pods(cluster).await;
        pods.iter().filter_map(|p| Some((p.metadata.name.clone()?, admin_endpoint(p)?))).collect()
    }
}

/// The Deployment that owns a pod: its ReplicaSet is named `<deployment>-<pod-template-hash>`.
fn deployment_of(pod: &Pod) -> Option<String> {
    let hash = pod.metadata.labels.as_ref()?.get("pod-template-hash")?;
    let owner = pod.metadata.owner_references.iter().flatten().find(|o| o.kind == "ReplicaSet")?;
    owner.name.strip_suffix(&format!("-{hash}")).map(String::from)
}

pub fn ready(pod: &Pod) -> bool {
    let conditions = pod.status.as_ref().and_then(|s| s.conditions.as_ref());
    conditions.is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Asserts a request was refused with 403.
pub fn forbidden<T: std::fmt::Debug>(result: Result<T, kube::Error>, what: &str) {
    match result {
        Err(kube::Error::Api(e)) if e.code == 403 => {}
        other => panic!("a player could {what}: {other:?}"),
    }
}

/// Every pod's working set (its memory cgroup's usage less inactive file pages, as kubelet
/// counts it), summed per namespace, and the RSS of the cluster's own processes apart.
pub async fn footprint(cluster: &Cluster) -> String {
    use std::fmt::Write;
    let pods: Api<Pod> = Api::all(cluster.client.clone());
    let mut per_ns: BTreeMap<String, (u64, usize)> = BTreeMap::new();
    let mut out = String::new();
    let root = std::path::Path::new("/sys/fs/cgroup/memory/firedrill-cluster");
    for pod in pods.list(&ListParams::default()).await.expect("pods").items {
        let (Some(ns), Some(name), Some(uid)) = (pod.metadata.namespace, pod.metadata.name, pod.metadata.uid) else {
            continue;
        };
        let Some(dir) = find_dir(root, &format!("pod{uid}")) else {
            let _ = writeln!(out, "  {ns}/{name}: no cgroup found");
            continue;
        };
        let usage: u64 = read_num(&dir.join("memory.usage_in_bytes"));
        let stat = std::fs::read_to_string(dir.join("memory.stat")).unwrap_or_default();
        let inactive: u64 = stat
            .lines()
            .find_map(|l| l.strip_prefix("total_inactive_file "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let ws = usage.saturating_sub(inactive);
        let _ = writeln!(out, "  {ns}/{name}: {:.1} MiB", mib(ws));
        let e = per_ns.entry(ns).or_default();
        e.0 += ws;
        e.1 += 1;
    }
    let mut lab_total = 0;
    for (ns, (bytes, n)) in &per_ns {
        let _ = writeln!(out, "namespace {ns}: {:.1} MiB in {n} pods", mib(*bytes));
        if ns.starts_with("firedrill") {
            lab_total += bytes;
        }
    }
    let _ = writeln!(out, "the whole lab (firedrill-* namespaces, backends included): {:.1} MiB", mib(lab_total));
    let mut plane: BTreeMap<String, u64> = BTreeMap::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
        let name = status.lines().find_map(|l| l.strip_prefix("Name:\t")).unwrap_or("").to_string();
        let cmdline = std::fs::read_to_string(entry.path().join("cmdline")).unwrap_or_default();
        let ours = ["etcd", "kube-apiserver", "kube-controller", "kube-scheduler", "kubelet", "kube-proxy"]
            .contains(&name.as_str())
            || (name.starts_with("containerd") && cmdline.contains("firedrill-cluster"));
        if ours {
            let kib: u64 = status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
                .unwrap_or(0);
            *plane.entry(name).or_default() += kib * 1024;
        }
    }
    let total: u64 = plane.values().sum();
    let _ = writeln!(
        out,
        "control plane and node processes (RSS): {:.1} MiB: {}",
        mib(total),
        plane.iter().map(|(k, v)| format!("{k} {:.1}", mib(*v))).collect::<Vec<_>>().join(", ")
    );
    out
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn read_num(path: &std::path::Path) -> u64 {
    std::fs::read_to_string(path).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0)
}

fn find_dir(root: &std::path::Path, name: &str) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(root).ok()?.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if entry.file_name().to_str() == Some(name) {
            return Some(path);
        }
        if let Some(found) = find_dir(&path, name) {
            return Some(found);
        }
    }
    None
}
