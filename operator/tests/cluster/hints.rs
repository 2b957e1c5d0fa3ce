//! Players ask for hints with Hint objects: the operator unlocks the next one once its time
//! has come (the text in the status, the cost charged in the scores and the debrief) and
//! refuses one asked too early, saying when it unlocks.

use std::time::Duration;

use firedrill_operator::crd::{Drill, Hint};
use kube::Api;
use kube::api::PostParams;
use serde_json::json;

use super::drills::{answer, diagnose, truth_secret};
use crate::support::lab::{Lab, apply, eventually, service};

const WAIT: Duration = Duration::from_secs(30);

/// slow-shared-downstream with its first hint available at once (the second after 600 s).
fn scenario_with_an_early_hint() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/slow-shared-downstream.yaml");
    let source = std::fs::read_to_string(path).unwrap();
    assert!(source.contains("  - afterSeconds: 240\n    cost: 50\n"), "the scenario's hints changed; update this test");
    source.replacen("  - afterSeconds: 240\n", "  - afterSeconds: 0\n", 1)
}

async fn ask(player: &kube::Client, ns: &str, name: &str) -> firedrill_operator::crd::HintStatus {
    let hint: Hint = serde_json::from_value(json!({
        "apiVersion": "firedrill.dev/v1alpha1", "kind": "Hint",
        "metadata": { "name": name }, "spec": { "drill": "game-day", "player": "alice" }
    }))
    .unwrap();
    let api = Api::<Hint>::namespaced(player.clone(), ns);
    api.create(&PostParams::default(), &hint).await.expect("players create hints");
    eventually(&format!("an answer to {name}"), WAIT, || async {
        api.get(name).await.ok()?.status.filter(|s| s.outcome.is_some())
    })
    .await
}

#[tokio::test]
async fn a_hint_is_unlocked_when_its_time_has_come_and_costs_points() {
    let mut lab = Lab::new(true).await;
    let obj = json!({
        "apiVersion": "firedrill.dev/v1alpha1", "kind": "Scenario",
        "metadata": { "name": "slow-shared-downstream", "namespace": lab.control },
        "spec": { "file": "slow-shared-downstream.yaml", "source": scenario_with_an_early_hint() }
    });
    apply(&lab.admin, &serde_yaml::to_string(&obj).unwrap()).await;
    let mut services = Vec::new();
    for name in ["api", "inventory", "warehouse", "pricing", "checkout", "payments"] {
        let svc = service(name).await;
        let labels = [("app.kubernetes.io/name", name), ("firedrill.dev/injectable", "true")];
        lab.pod(&format!("{name}-0"), &labels, svc.admin_addr.port()).await;
        services.push(svc);
    }
    lab.start_operator().await;
    let drill: Drill = serde_json::from_value(json!({
        "apiVersion": "firedrill.dev/v1alpha1", "kind": "Drill",
        "metadata": { "name": "game-day" }, "spec": { "scenario": "slow-shared-downstream" }
    }))
    .unwrap();
    let drills = Api::<Drill>::namespaced(lab.admin.clone(), &lab.ns);
    let created = drills.create(&PostParams::default(), &drill).await.unwrap();
    eventually("the drill goes active", WAIT, || async {
        (drills.get("game-day").await.ok()?.status?.phase.as_deref() == Some("active")).then_some(())
    })
    .await;

    let player = lab.player().await;
    let first = ask(&player, &lab.ns, "alice-hint-1").await;
    assert_eq!(first.outcome.as_deref(), Some("unlocked"), "{first:?}");
    assert_eq!((first.number, first.cost), (Some(1), Some(50)));
    assert!(first.text.unwrap().contains("What do they have in common?"));
    let second = ask(&player, &lab.ns, "alice-hint-2").await;
    assert_eq!(second.outcome.as_deref(), Some("refused"));
    assert!(second.message.as_deref().unwrap_or("").contains("the next hint unlocks in"), "{second:?}");

    diagnose(&player, &lab.ns, "right", "warehouse", &answer(&lab, &created).await).await;
    let debrief = eventually("the debrief", WAIT, || async {
        let bytes = truth_secret(&lab, &created).await.remove("debrief.md")?;
        Some(String::from_utf8(bytes.0).unwrap())
    })
    .await;
    assert!(debrief.contains("alice took a hint (-50): Two services got slow"), "{debrief}");
    assert!(debrief.contains("| alice | 1950 |"), "the hint's 50 points come off alice's score:\n{debrief}");
    lab.stop_operator().await;
}
