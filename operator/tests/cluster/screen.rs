//! The operator's game-day screen during a real drill on the API server: the page and its
//! state answer, the state shows the drill as players see it and nothing of its truth until
//! the revert, and the debrief after it.

use firedrill_drill::Phase;
use firedrill_operator::crd::Drill;
use kube::Api;

use super::drills::{
    CULPRIT, SCENARIO, answer, create_drill, diagnose, install_scenario, scenario_source, start_services, until_phase,
};
use crate::support::lab::{Lab, eventually};

const WAIT: std::time::Duration = std::time::Duration::from_secs(30);

async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let http = firedrill_backends::http::Http::default();
    let body = http.get(&format!("http://{addr}{path}")).await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
    String::from_utf8(body.to_vec()).unwrap()
}

#[tokio::test]
async fn the_screen_shows_the_drill_without_its_truth_until_the_revert() {
    let mut lab = Lab::new(true).await;
    install_scenario(&lab, SCENARIO, &scenario_source(SCENARIO)).await;
    let _services = start_services(&lab).await;
    lab.start_operator().await;
    let screen = lab.screen.unwrap();
    let idle: serde_json::Value = serde_json::from_str(&get(screen, "/api/state").await).unwrap();
    assert!(idle["drill"].is_null(), "no drill yet: {idle}");
    assert!(get(screen, "/").await.contains("<html"), "the page itself");

    let created = create_drill(&lab, "game-day").await;
    until_phase(&lab, "game-day", Phase::Active).await;
    let parsed = firedrill_drill::Scenario::from_yaml("s.yaml", &scenario_source(SCENARIO)).unwrap();
    let text = eventually("the screen shows the active drill", WAIT, || async {
        let text = get(screen, "/api/state").await;
        let state: serde_json::Value = serde_json::from_str(&text).unwrap();
        (state["drill"]["phase"] == "active").then_some(text)
    })
    .await;
    let state: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(state["drill"]["incident"], parsed.incident.as_str(), "{state}");
    assert!(state.get("debrief").is_none(), "{state}");
    let mut secrets = vec![SCENARIO.to_string(), parsed.title.clone(), "story".into(), "seed".into()];
    secrets.extend(parsed.culprits.iter().map(|c| c.id.clone()));
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "the screen's state before the revert contains {secret}: {text}");
    }

    let player = lab.player().await;
    diagnose(&player, &lab.ns, "right", "warehouse", &answer(&lab, &created).await).await;
    until_phase(&lab, "game-day", Phase::Reverted).await;
    let text = eventually("the screen shows the debrief", WAIT, || async {
        let text = get(screen, "/api/state").await;
        let state: serde_json::Value = serde_json::from_str(&text).unwrap();
        state.get("debrief").is_some().then_some(text)
    })
    .await;
    for truth in [SCENARIO, CULPRIT, parsed.title.as_str()] {
        assert!(text.contains(truth), "the debrief on the screen names {truth}: {text}");
    }
    assert!(text.contains("\"alice\""), "the winner is on the board: {text}");
    // Deleting the Drill takes it off the screen.
    Api::<Drill>::namespaced(lab.admin.clone(), &lab.ns).delete("game-day", &Default::default()).await.unwrap();
    eventually("the screen forgets the deleted drill", WAIT, || async {
        let state: serde_json::Value = serde_json::from_str(&get(screen, "/api/state").await).unwrap();
        state["drill"].is_null().then_some(())
    })
    .await;
    lab.stop_operator().await;
}
