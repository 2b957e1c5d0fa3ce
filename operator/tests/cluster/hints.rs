//! Players ask for hints with Hint objects: the operator unlocks the next one once its time
//! has come (the text in the status, the cost charged in the scores and the debrief) and
//! refuses one asked too early, saying when it unlocks.

use std::time::Duration;

use firedrill_drill::Phase;
use firedrill_operator::crd::{Hint, HintOutcome};
use kube::Api;
use kube::api::PostParams;
use serde_json::json;

use super::drills::{
    SCENARIO, answer, answer_service, create_drill, debrief, diagnose, install_scenario, scenario_source,
    start_services, until_phase,
};
use crate::support::lab::{Lab, eventually};

const WAIT: Duration = Duration::from_secs(30);

/// product-pages-slow-teams-paged with its first hint available at once (the second after 600 s).
fn scenario_with_an_early_hint() -> String {
    let source = scenario_source(SCENARIO);
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
    install_scenario(&lab, SCENARIO, &scenario_with_an_early_hint()).await;
    let _services = start_services(&lab).await;
    lab.start_operator().await;
    let created = create_drill(&lab, "game-day").await;
    until_phase(&lab, "game-day", Phase::Active).await;

    let player = lab.player().await;
    let first = ask(&player, &lab.ns, "alice-hint-1").await;
    assert_eq!(first.outcome, Some(HintOutcome::Unlocked), "{first:?}");
    assert_eq!((first.number, first.cost), (Some(1), Some(50)));
    assert!(first.text.unwrap().contains("Which of them are slow because of their own work?"));
    let second = ask(&player, &lab.ns, "alice-hint-2").await;
    assert_eq!(second.outcome, Some(HintOutcome::Refused));
    assert!(second.message.as_deref().unwrap_or("").contains("the next hint unlocks in"), "{second:?}");

    diagnose(&player, &lab.ns, "right", &answer_service(&lab, &created).await, &answer(&lab, &created).await).await;
    let debrief = debrief(&lab, &created).await;
    assert!(debrief.contains("alice took a hint (-50): Several services got slow"), "{debrief}");
    // 2000 for this hard drill solved at once, less a point for every 1.2 s the answer took (of
    // its 1200 s limit), less the hint's 50: without the hint's cost the score would be over
    // 1950 for any answer within a minute, so the range cannot pass by accident.
    let score: u32 = debrief
        .lines()
        .find_map(|l| l.strip_prefix("| alice | ")?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no score for alice in the debrief:\n{debrief}"));
    assert!((1900..=1950).contains(&score), "the hint's 50 points come off alice's score ({score}):\n{debrief}");
    lab.stop_operator().await;
}
