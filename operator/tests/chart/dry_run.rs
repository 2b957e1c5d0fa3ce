//! Every rendered manifest, for every values file, sent to the real kube-apiserver as a
//! server-side apply with `dryRun=All` and strict field validation, after the CRDs are
//! installed and established (tests/support installs them from charts/firedrill/crds, as helm
//! does). Pods of every Deployment are dry-run created under the `restricted` Pod Security
//! Standard. The players' role and the admin token are checked for real with impersonation.

use k8s_openapi::api::core::v1::Secret;
use kube::api::{DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams, ValidationDirective};
use kube::discovery::{Discovery, Scope};
use kube::{Api, Client};
use serde_json::json;

use crate::render::{documents, id, label, of_kind, show_only, template, values_files};
use crate::support::lab::{Lab, PLAYERS, apply};

/// Server-side apply of `doc` as a dry run; `default_ns` for namespaced objects without one.
async fn dry_run_apply(
    client: &Client,
    discovery: &Discovery,
    doc: &serde_yaml::Value,
    default_ns: &str,
) -> Result<(), String> {
    let obj: DynamicObject = serde_yaml::from_value(doc.clone()).map_err(|e| e.to_string())?;
    let types = obj.types.clone().ok_or("no apiVersion/kind")?;
    let gvk = GroupVersionKind::try_from(&types).map_err(|e| e.to_string())?;
    let (resource, caps) = discovery.resolve_gvk(&gvk).ok_or(format!("{gvk:?} is not served by the API server"))?;
    let api: Api<DynamicObject> = match caps.scope {
        Scope::Namespaced => {
            let ns = obj.metadata.namespace.clone().unwrap_or_else(|| default_ns.to_string());
            Api::namespaced_with(client.clone(), &ns, &resource)
        }
        Scope::Cluster => Api::all_with(client.clone(), &resource),
    };
    let name = obj.metadata.name.clone().ok_or("no metadata.name")?;
    let params = PatchParams::apply("firedrill-chart-check").force().dry_run().validation(ValidationDirective::Strict);
    api.patch(&name, &params, &Patch::Apply(&obj)).await.map(|_| ()).map_err(|e| e.to_string())
}

#[tokio::test]
async fn every_rendered_manifest_passes_a_server_side_dry_run() {
    let lab = Lab::new(true).await;
    let discovery = Discovery::new(lab.admin.clone()).run().await.expect("API discovery");
    let mut failures = Vec::new();
    let mut checked = 0;
    for values in values_files() {
        let text = template(&lab.control, &values, &[("lab.namespace", &lab.ns)]);
        let docs = documents(&text);
        assert!(docs.len() >= 10, "{}: only {} objects rendered", label(&values), docs.len());
        for doc in &docs {
            let ns = doc["metadata"]["namespace"].as_str();
            assert!(
                ns.is_none() || ns == Some(lab.control.as_str()) || ns == Some(lab.ns.as_str()),
                "{} {} lands in {ns:?}, outside the control and lab namespaces",
                label(&values),
                id(doc)
            );
            if let Err(e) = dry_run_apply(&lab.admin, &discovery, doc, &lab.control).await {
                failures.push(format!("{} {}: {e}", label(&values), id(doc)));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "rejected by the API server:\n{}", failures.join("\n"));
    eprintln!("{checked} rendered objects accepted by the API server (dry run)");
}

#[tokio::test]
async fn every_pod_meets_the_restricted_pod_security_standard() {
    let lab = Lab::new(true).await;
    let enforce = json!({ "metadata": { "labels": { "pod-security.kubernetes.io/enforce": "restricted" } } });
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(lab.admin.clone());
    namespaces.patch(&lab.ns, &PatchParams::default(), &Patch::Merge(&enforce)).await.expect("label the lab namespace");
    let docs = documents(&template(&lab.control, &None, &[("lab.namespace", &lab.ns)]));
    let pods: Api<DynamicObject> = Api::namespaced_with(lab.admin.clone(), &lab.ns, &pod_resource());
    let deployments = of_kind(&docs, "Deployment");
    assert!(deployments.len() >= 10, "services, loadgen, operator and the observability stack");
    for deployment in deployments {
        let template = &deployment["spec"]["template"];
        let mut spec: serde_json::Value = serde_json::to_value(&template["spec"]).unwrap();
        // The ServiceAccount admission plugin is off in the test API server and no
        // controller creates accounts; what is checked here is the pod's security.
        spec.as_object_mut().unwrap().remove("serviceAccountName");
        let name = deployment["metadata"]["name"].as_str().unwrap();
        let pod: DynamicObject = serde_json::from_value(
            json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": name }, "spec": spec }),
        )
        .unwrap();
        let created = pods.create(&PostParams { dry_run: true, field_manager: None }, &pod).await;
        if let Err(e) = created {
            panic!("the pod of Deployment/{name} is refused under the restricted standard: {e}");
        }
    }
}

fn pod_resource() -> kube::api::ApiResource {
    kube::api::ApiResource::erase::<k8s_openapi::api::core::v1::Pod>(&())
}

/// The impersonation tests (tests/cluster/players.rs) apply the chart's RBAC files with plain
/// text substitution; helm must render exactly the same objects, or those tests would prove
/// a role the chart does not install.
#[test]
fn helm_renders_the_rbac_the_impersonation_tests_apply() {
    let (control, ns) = ("fd-ctl-x", "fd-lab-x");
    for file in ["rbac-player.yaml", "rbac-operator.yaml"] {
        let helm =
            show_only(control, &format!("templates/{file}"), &[("lab.namespace", ns), ("players.group", PLAYERS)]);
        let raw = std::fs::read_to_string(crate::render::chart().join("templates").join(file)).unwrap();
        let substituted = raw
            .replace("{{ .Release.Namespace }}", control)
            .replace("{{ .Values.lab.namespace }}", ns)
            .replace("{{ .Values.players.group }}", PLAYERS);
        assert_eq!(documents(&helm), documents(&substituted), "{file}: helm and the tests' substitution differ");
    }
}

#[tokio::test]
async fn the_admin_token_is_shared_by_operator_and_agents_and_hidden_from_players() {
    let lab = Lab::new(true).await;
    const SENTINEL: &str = "sentinel-admin-token-0123456789";
    let text = template(&lab.control, &None, &[("lab.namespace", &lab.ns), ("adminToken", SENTINEL)]);
    let docs = documents(&text);
    let secrets = of_kind(&docs, "Secret");
    assert_eq!(secrets.len(), 2, "one token Secret per namespace");
    for doc in docs.iter().filter(|d| d["kind"] != "Secret") {
        let yaml = serde_yaml::to_string(doc).unwrap();
        let b64 = "c2VudGluZWwtYWRtaW4tdG9rZW4t"; // base64 of the sentinel's first 21 bytes
        assert!(!yaml.contains(SENTINEL) && !yaml.contains(b64), "{} carries the admin token", id(doc));
    }
    let secrets_text: Vec<String> = secrets.iter().map(|s| serde_yaml::to_string(s).unwrap()).collect();
    apply(&lab.admin, &secrets_text.join("\n---\n")).await;

    let token = |ns: String, name: &'static str| {
        let api: Api<Secret> = Api::namespaced(lab.admin.clone(), &ns);
        async move {
            let secret = api.get(name).await.unwrap_or_else(|e| panic!("{ns}/{name}: {e}"));
            String::from_utf8(secret.data.unwrap()["token"].0.clone()).unwrap()
        }
    };
    assert_eq!(token(lab.control.clone(), "firedrill-admin-token").await, SENTINEL, "what the operator reads");
    assert_eq!(token(lab.ns.clone(), "firedrill-agent-token").await, SENTINEL, "what the services mount");

    let player: Api<Secret> = Api::namespaced(lab.player().await, &lab.ns);
    match player.get("firedrill-agent-token").await {
        Err(kube::Error::Api(e)) => assert_eq!(e.code, 403, "players are forbidden the token: {e:?}"),
        other => panic!("a player read the agents' token: {other:?}"),
    }
}
