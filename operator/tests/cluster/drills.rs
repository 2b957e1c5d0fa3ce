//! A whole drill with kubectl-level objects only: the admin installs a Scenario and creates a
//! Drill, players (impersonated) read it and create Diagnoses, the operator injects the drawn
//! culprit into real services, judges, names the winner and reverts, surviving a restart.

use std::collections::BTreeMap;
use std::time::Duration;

use firedrill_drill::{Phase, Verdict};
use firedrill_operator::crd::{Diagnosis, Drill, Refusable};
use firedrill_runtime::Running;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::PostParams;
use serde_json::json;

use crate::support::lab::{Lab, apply, eventually, service};

const SERVICES: [&str; 6] = ["api", "inventory", "warehouse", "pricing", "checkout", "payments"];
const WAIT: Duration = Duration::from_secs(30);

fn faults_of(svc: &Running) -> usize {
    svc.agent.snapshot().set.as_ref().map_or(0, |s| s.faults.len())
}

/// A shipped scenario file's text.
pub(super) fn scenario_source(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../scenarios/{name}.yaml"));
    std::fs::read_to_string(path).unwrap()
}

/// Installs `source` as the Scenario `name` in the control namespace (as the admin).
pub(super) async fn install_scenario(lab: &Lab, name: &str, source: &str) {
    let obj = json!({
        "apiVersion": "firedrill.dev/v1alpha1", "kind": "Scenario",
        "metadata": { "name": name, "namespace": lab.control },
        "spec": { "file": format!("{name}.yaml"), "source": source }
    });
    apply(&lab.admin, &serde_yaml::to_string(&obj).unwrap()).await;
}

/// Every lab service as a real process on loopback, each with its injectable Pod object.
pub(super) async fn start_services(lab: &Lab) -> BTreeMap<&'static str, Running> {
    let mut services = BTreeMap::new();
    for name in SERVICES {
        let svc = service(name).await;
        let labels = [("app.kubernetes.io/name", name), ("firedrill.dev/injectable", "true")];
        lab.pod(&format!("{name}-0"), &labels, svc.admin_addr.port()).await;
        services.insert(name, svc);
    }
    services
}

/// The scenario and culprit most tests play: the facilitator's choice, in a draw Secret.
pub(super) const SCENARIO: &str = "product-pages-slow-teams-paged";
pub(super) const CULPRIT: &str = "warehouse-query-latency";

/// Writes the draw Secret `name` (as the admin) that makes a Drill play `culprit` of
/// `scenario`: the scenario by name, the culprit by the smallest seed that draws it.
pub(super) async fn choose(lab: &Lab, name: &str, scenario: &str, culprit: &str) -> String {
    let parsed = firedrill_drill::Scenario::from_yaml("s.yaml", &scenario_source(scenario)).unwrap();
    let seed = firedrill_drill::Draw::seed_for(&parsed, culprit).expect("a seed draws the culprit");
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": { "name": name, "namespace": lab.control },
        "stringData": { "scenario": scenario, "seed": seed.to_string() }
    });
    apply(&lab.admin, &serde_yaml::to_string(&secret).unwrap()).await;
    name.to_string()
}

/// Creates the Drill `name` of [`CULPRIT`] of [`SCENARIO`] (as the admin).
pub(super) async fn create_drill(lab: &Lab, name: &str) -> Drill {
    let secret = choose(lab, &format!("{name}-draw"), SCENARIO, CULPRIT).await;
    let drill: Drill = serde_json::from_value(json!({
        "apiVersion": "firedrill.dev/v1alpha1", "kind": "Drill",
        "metadata": { "name": name }, "spec": { "drawSecret": secret, "warmUpSeconds": 0 }
    }))
    .unwrap();
    Api::<Drill>::namespaced(lab.admin.clone(), &lab.ns).create(&PostParams::default(), &drill).await.unwrap()
}

/// Waits until the Drill `name` shows `phase` in its status.
pub(super) async fn until_phase(lab: &Lab, name: &str, phase: Phase) {
    let drills = Api::<Drill>::namespaced(lab.admin.clone(), &lab.ns);
    eventually(&format!("drill {name} {phase:?}"), WAIT, || async {
        (drills.get(name).await.ok()?.status?.phase == Some(Refusable::Engine(phase))).then_some(())
    })
    .await;
}

/// What the drill's truth Secret holds (only the admin can read it).
pub(super) async fn truth_secret(lab: &Lab, drill: &Drill) -> BTreeMap<String, k8s_openapi::ByteString> {
    let uid = drill.metadata.uid.clone().unwrap();
    let secrets = Api::<Secret>::namespaced(lab.admin.clone(), &lab.control);
    secrets.get(&format!("drill-truth-{uid}")).await.unwrap().data.unwrap()
}

/// The debrief the operator keeps with the truth once the drill has reverted.
pub(super) async fn debrief(lab: &Lab, drill: &Drill) -> String {
    eventually("the debrief", WAIT, || async {
        let bytes = truth_secret(lab, drill).await.remove("debrief.md")?;
        Some(String::from_utf8(bytes.0).unwrap())
    })
    .await
}

/// One field of the drawn culprit, from the truth.
async fn truth_field(lab: &Lab, drill: &Drill, field: &str) -> String {
    let truth: serde_json::Value = serde_json::from_slice(&truth_secret(lab, drill).await["truth.json"].0).unwrap();
    let culprit = &truth["drill"]["draw"]["culprit"];
    let value = match field {
        "faultClass" | "service" => &culprit["answer"][field],
        _ => &culprit[field],
    };
    value.as_str().unwrap().to_string()
}

/// The right fault class, read by the admin (not a player) from the truth.
pub(super) async fn answer(lab: &Lab, drill: &Drill) -> String {
    truth_field(lab, drill, "faultClass").await
}

/// The right service, read by the admin from the truth (the scenario's culprits differ in it).
pub(super) async fn answer_service(lab: &Lab, drill: &Drill) -> String {
    truth_field(lab, drill, "service").await
}

pub(super) async fn diagnose(player: &kube::Client, ns: &str, name: &str, service: &str, class: &str) {
    let d: Diagnosis = serde_json::from_value(json!({
        "apiVersion": "firedrill.dev/v1alpha1", "kind": "Diagnosis",
        "metadata": { "name": name },
        "spec": { "drill": "game-day", "player": "alice", "service": service, "faultClass": class }
    }))
    .unwrap();
    Api::<Diagnosis>::namespaced(player.clone(), ns)
        .create(&PostParams::default(), &d)
        .await
        .expect("players create diagnoses");
}

async fn verdict(player: &kube::Client, ns: &str, name: &str) -> Refusable<Verdict> {
    let api = Api::<Diagnosis>::namespaced(player.clone(), ns);
    eventually(&format!("verdict for {name}"), WAIT, || async { api.get(name).await.ok()?.status?.verdict }).await
}

#[tokio::test]
async fn a_drill_runs_end_to_end_and_survives_an_operator_restart() {
    let mut lab = Lab::new(true).await;
    install_scenario(&lab, SCENARIO, &scenario_source(SCENARIO)).await;
    let services = start_services(&lab).await;
    lab.start_operator().await;
    let secret = choose(&lab, "game-day-draw", SCENARIO, CULPRIT).await;
    let drill: Drill = serde_json::from_value(json!({
        "apiVersion": "firedrill.dev/v1alpha1", "kind": "Drill",
        "metadata": { "name": "game-day" },
        "spec": { "drawSecret": secret, "timeLimitSeconds": 600, "warmUpSeconds": 0 }
    }))
    .unwrap();
    Api::<Drill>::namespaced(lab.admin.clone(), &lab.ns).create(&PostParams::default(), &drill).await.unwrap();

    let player = lab.player().await;
    let drills = Api::<Drill>::namespaced(player.clone(), &lab.ns);
    let active = eventually("the drill goes active", WAIT, || async {
        let d = drills.get("game-day").await.ok()?;
        (d.status.as_ref()?.phase == Some(Refusable::Engine(Phase::Active))).then_some(d)
    })
    .await;
    // The scenario's culprits are on warehouse or pricing; pricing always carries the gap.
    let service = answer_service(&lab, &active).await;
    let on_pricing = usize::from(service == "pricing");
    assert_eq!(faults_of(&services[service.as_str()]), 1 + on_pricing, "the culprit's service carries its fault");
    assert_eq!(faults_of(&services["pricing"]), 1 + on_pricing, "the observability gap is applied too");
    assert_eq!(faults_of(&services["checkout"]), 1, "the decoy is delivered too");
    assert_eq!(faults_of(&services["payments"]), 0);
    let ready = &active.status.as_ref().unwrap().conditions[0];
    assert_eq!((ready.type_.as_str(), ready.reason.as_str()), ("Ready", "Running"));
    // Nothing a player reads of the drill names the scenario or its culprit before the debrief.
    let parsed = firedrill_drill::Scenario::from_yaml("s.yaml", &scenario_source(SCENARIO)).unwrap();
    let mut secrets =
        vec![SCENARIO.to_string(), parsed.title.clone(), "\"seed\"".into(), "story".into(), "culprit".into()];
    secrets.extend(parsed.culprits.iter().map(|c| c.id.clone()));
    let events = Api::<k8s_openapi::api::events::v1::Event>::namespaced(player.clone(), &lab.ns);
    let seen = [
        serde_json::to_string(&drills.list(&Default::default()).await.unwrap()).unwrap(),
        serde_json::to_string(&events.list(&Default::default()).await.unwrap()).unwrap(),
    ]
    .join("\n");
    assert!(seen.contains("game-day"), "the player reads the drill: {seen}");
    for secret in &secrets {
        assert!(!seen.contains(secret.as_str()), "what players read of the drill contains {secret}: {seen}");
    }

    let answer = answer(&lab, &active).await;

    diagnose(&player, &lab.ns, "alice-1", "inventory", "latency").await;
    assert_eq!(verdict(&player, &lab.ns, "alice-1").await, Refusable::Engine(Verdict::Wrong));

    lab.stop_operator().await;
    lab.start_operator().await;
    diagnose(&player, &lab.ns, "alice-2", &service, &answer).await;
    assert_eq!(verdict(&player, &lab.ns, "alice-2").await, Refusable::Engine(Verdict::Correct));

    let done = eventually("solved, reverted, winner set", WAIT, || async {
        let d = drills.get("game-day").await.ok()?;
        (d.status.as_ref()?.phase == Some(Refusable::Engine(Phase::Reverted))).then_some(d)
    })
    .await;
    let status = done.status.clone().unwrap();
    assert_eq!(status.winner.as_deref(), Some("alice"));
    let judged: Vec<(&str, Refusable<Verdict>)> =
        status.diagnoses.iter().map(|d| (d.name.as_str(), d.verdict)).collect();
    let expected = [("alice-1", Verdict::Wrong.into()), ("alice-2", Verdict::Correct.into())];
    assert_eq!(judged, expected, "each diagnosis judged once across the restart");
    let left = faults_of(&services["warehouse"]) + faults_of(&services["pricing"]) + faults_of(&services["checkout"]);
    assert_eq!(left, 0, "faults reverted at the end, the decoy's too");
    let debrief = truth_secret(&lab, &done).await.remove("debrief.md").expect("the debrief is kept with the truth");
    let debrief = String::from_utf8(debrief.0).unwrap();
    let expected = [
        "# Debrief: ".to_string(),
        "Outcome: solved. Winner: **alice**.".to_string(),
        format!("Culprit `{}`", truth_field(&lab, &done, "id").await),
        "alice diagnosed inventory / latency -> **wrong**".to_string(),
        format!("alice diagnosed {service} / {answer} -> **correct**"),
        "## What would have isolated it fastest".to_string(),
        "## Red herrings".to_string(),
        "- checkout: log-noise".to_string(),
        "faults reverted".to_string(),
    ];
    for part in expected {
        assert!(debrief.contains(&part), "the debrief lacks {part:?}:\n{debrief}");
    }
    assert!(!debrief.contains("did not show"), "the operator does not watch signals: {debrief}");
    let reasons = eventually("drill events visible to players", WAIT, || async {
        let list = events.list(&Default::default()).await.ok()?;
        let reasons: Vec<String> = list.items.iter().filter_map(|e| e.reason.clone()).collect();
        reasons.contains(&"Reverted".to_string()).then_some(reasons)
    })
    .await;
    for reason in ["Started", "Solved", "Reverted"] {
        assert!(reasons.iter().any(|r| r == reason), "no {reason} event in {reasons:?}");
    }
    lab.stop_operator().await;
}

#[tokio::test]
async fn installed_scenarios_report_parse_errors_with_line_and_column() {
    let mut lab = Lab::new(true).await;
    lab.start_operator().await;
    install_scenario(&lab, "storefront-slow-flat-errors", &scenario_source("storefront-slow-flat-errors")).await;
    let broken = json!({
        "apiVersion": "firedrill.dev/v1alpha1", "kind": "Scenario",
        "metadata": { "name": "broken", "namespace": lab.control },
        "spec": { "file": "broken.yaml", "source": "apiVersion: firedrill.dev/v1alpha1\nkind: Scenario\nname: broken\ntitel: typo\n" }
    });
    apply(&lab.admin, &serde_yaml::to_string(&broken).unwrap()).await;
    let api = Api::<firedrill_operator::crd::Scenario>::namespaced(lab.admin.clone(), &lab.control);
    let valid = |name: &'static str| {
        let api = api.clone();
        async move {
            let status = api.get(name).await.ok()?.status?;
            let c = status.conditions.first()?.clone();
            Some((status, c))
        }
    };
    let (ok, c) = eventually("storefront-slow-flat-errors parsed", WAIT, || valid("storefront-slow-flat-errors")).await;
    assert_eq!(c.status, "True");
    assert!(ok.title.is_some() && ok.culprits.unwrap_or(0) >= 1);
    let (_, c) = eventually("broken reported", WAIT, || valid("broken")).await;
    assert_eq!((c.status.as_str(), c.reason.as_str()), ("False", "ParseError"));
    assert!(c.message.contains("broken.yaml:4:"), "{}", c.message);

    // A drill whose pool holds the broken scenario does not start, and says why.
    let drill: Drill = serde_json::from_value(json!({
        "apiVersion": "firedrill.dev/v1alpha1", "kind": "Drill",
        "metadata": { "name": "game-day" }, "spec": { "from": ["storefront-slow-flat-errors", "broken"] }
    }))
    .unwrap();
    let drills = Api::<Drill>::namespaced(lab.admin.clone(), &lab.ns);
    drills.create(&PostParams::default(), &drill).await.unwrap();
    let status = eventually("drill refused", WAIT, || async {
        let s = drills.get("game-day").await.ok()?.status?;
        (s.phase == Some(Refusable::Refused)).then_some(s)
    })
    .await;
    assert_eq!(status.conditions[0].reason, "ScenarioInvalid");
    assert!(
        status.conditions[0].message.contains("scenario `broken` does not parse"),
        "{}",
        status.conditions[0].message
    );
    lab.stop_operator().await;
}
