//! The CRDs as the API server sees them: printer columns, and invalid objects refused with
//! the message of the schema or CEL rule that caught them.

use firedrill_operator::crd::{Diagnosis, Drill, FaultInjection};
use kube::Api;
use kube::api::{ApiResource, DynamicObject, PostParams};
use serde_json::json;

use crate::support::lab::Lab;

#[tokio::test]
async fn kubectl_get_drills_shows_the_printer_columns() {
    let lab = Lab::new(true).await;
    let req = http::Request::get(format!("/apis/firedrill.dev/v1alpha1/namespaces/{}/drills", lab.ns))
        .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
        .body(Vec::new())
        .unwrap();
    let table: serde_json::Value = serde_json::from_str(&lab.admin.request_text(req).await.unwrap()).unwrap();
    assert_eq!(table["kind"], "Table", "{table}");
    let columns: Vec<&str> =
        table["columnDefinitions"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(columns, ["Name", "Incident", "Phase", "Elapsed", "Remaining", "Solved By", "Age"]);
}

async fn rejected<K>(api: &Api<K>, obj: serde_json::Value) -> String
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let obj: K = serde_json::from_value(obj).unwrap();
    match api.create(&PostParams::default(), &obj).await {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 422, "{status:?}");
            status.message
        }
        other => panic!("expected the API server to refuse the object, got {other:?}"),
    }
}

fn injection(name: &str, selector: serde_json::Value, faults: serde_json::Value, lease: u32) -> serde_json::Value {
    json!({
        "apiVersion": "firedrill.dev/v1alpha1", "kind": "FaultInjection",
        "metadata": { "name": name },
        "spec": { "selector": selector, "faults": faults, "leaseSeconds": lease }
    })
}

#[tokio::test]
async fn invalid_fault_injections_are_refused_by_the_api_server() {
    let lab = Lab::new(true).await;
    let api: Api<FaultInjection> = Api::namespaced(lab.admin.clone(), &lab.control);
    let ok_faults = json!([{ "kind": "latency", "delayMs": 100 }]);
    let percent = json!({ "namespace": lab.ns, "mode": "Percent", "value": 150 });
    let msg = rejected(&api, injection("a", percent, ok_faults.clone(), 30)).await;
    assert!(msg.contains("for mode Percent, value must be between 1 and 100"), "{msg}");

    let fixed_without_value = json!({ "namespace": lab.ns, "mode": "Fixed" });
    let msg = rejected(&api, injection("b", fixed_without_value, ok_faults.clone(), 30)).await;
    assert!(msg.contains("value is required for mode Fixed and Percent"), "{msg}");

    let all = json!({ "namespace": lab.ns, "mode": "All" });
    let msg = rejected(&api, injection("c", all.clone(), json!([{ "kind": "hangg" }]), 30)).await;
    assert!(msg.contains("spec.faults[0].kind") && msg.contains("hangg"), "{msg}");

    let msg = rejected(&api, injection("d", all.clone(), ok_faults.clone(), 1)).await;
    assert!(msg.contains("leaseSeconds must be between 5 and 3600"), "{msg}");

    let msg = rejected(&api, injection("e", all, json!([]), 30)).await;
    assert!(msg.contains("spec.faults"), "{msg}");
}

#[tokio::test]
async fn diagnoses_are_immutable_and_checked() {
    let lab = Lab::new(true).await;
    let api: Api<Diagnosis> = Api::namespaced(lab.admin.clone(), &lab.ns);
    let diagnosis = |name: &str, class: &str| {
        json!({
            "apiVersion": "firedrill.dev/v1alpha1", "kind": "Diagnosis",
            "metadata": { "name": name },
            "spec": { "drill": "d1", "player": "alice", "service": "inventory", "faultClass": class }
        })
    };
    // Sent untyped: the Rust type cannot hold an unknown class, the API server must refuse it.
    let untyped: Api<DynamicObject> =
        Api::namespaced_with(lab.admin.clone(), &lab.ns, &ApiResource::erase::<Diagnosis>(&()));
    let msg = rejected(&untyped, diagnosis("bad", "slowness")).await;
    assert!(msg.contains("spec.faultClass") && msg.contains("slowness"), "{msg}");

    let created =
        api.create(&PostParams::default(), &serde_json::from_value(diagnosis("ok", "latency")).unwrap()).await.unwrap();
    let mut changed = created.clone();
    changed.spec.service = "pricing".into();
    let err = api.replace("ok", &PostParams::default(), &changed).await.expect_err("a diagnosis cannot be changed");
    assert!(err.to_string().contains("a Diagnosis is immutable once created"), "{err}");
}

#[tokio::test]
async fn a_drill_never_names_its_scenario_and_a_pool_of_one_is_refused() {
    let lab = Lab::new(true).await;
    let drills: Api<DynamicObject> =
        Api::namespaced_with(lab.admin.clone(), &lab.ns, &ApiResource::erase::<Drill>(&()));
    let drill = |name: &str, spec: serde_json::Value| json!({ "apiVersion": "firedrill.dev/v1alpha1", "kind": "Drill", "metadata": { "name": name }, "spec": spec });
    let msg = rejected(&drills, drill("one", json!({ "from": ["storefront-slow-flat-errors"] }))).await;
    assert!(msg.contains("spec.from names one scenario, which tells the players which it is"), "{msg}");
    let msg = rejected(&drills, drill("empty-name", json!({ "from": ["storefront-slow-flat-errors", ""] }))).await;
    assert!(msg.contains("spec.from names must not be empty"), "{msg}");
    for (name, spec) in
        [("all", json!({})), ("pool", json!({ "from": ["a", "b"] })), ("chosen", json!({ "drawSecret": "s" }))]
    {
        let obj: DynamicObject = serde_json::from_value(drill(name, spec)).unwrap();
        drills.create(&PostParams::default(), &obj).await.unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
