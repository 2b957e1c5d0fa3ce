//! What a player can and cannot do, checked with impersonation against the chart's RBAC.

use kube::Api;
use kube::api::PostParams;

use firedrill_operator::crd::{Diagnosis, Hint};
use serde_json::json;

use crate::support::access::can;
use crate::support::lab::{Lab, eventually};

#[tokio::test]
async fn players_cannot_read_the_truth_but_can_investigate_and_answer() {
    let lab = Lab::new(true).await;
    let player = lab.player().await;
    let (ctl, ns) = (lab.control.as_str(), lab.ns.as_str());
    let denied = [
        ("get", ctl, "", "secrets", None),
        ("list", ctl, "", "secrets", None),
        ("list", ns, "", "secrets", None),
        ("list", ctl, "firedrill.dev", "scenarios", None),
        ("get", ctl, "firedrill.dev", "scenarios", None),
        ("list", ctl, "firedrill.dev", "faultinjections", None),
        ("list", ns, "firedrill.dev", "faultinjections", None),
        ("list", ctl, "firedrill.dev", "drills", None),
        ("list", ctl, "", "pods", None),
        ("create", ns, "", "pods", Some("exec")),
        ("get", ns, "", "pods", Some("exec")),
        ("create", ns, "", "pods", Some("portforward")),
        ("list", ns, "", "configmaps", None),
        ("update", ns, "firedrill.dev", "diagnoses", None),
        ("update", ns, "firedrill.dev", "hints", None),
        ("patch", ns, "firedrill.dev", "drills", Some("status")),
        ("delete", ns, "firedrill.dev", "drills", None),
    ];
    for (verb, where_, group, resource, sub) in denied {
        assert!(
            !can(&player, verb, where_, group, resource, sub).await,
            "player may {verb} {resource}/{sub:?} in {where_}"
        );
    }
    let allowed = [
        ("list", "firedrill.dev", "drills", None),
        ("watch", "firedrill.dev", "drills", None),
        ("create", "firedrill.dev", "diagnoses", None),
        ("list", "firedrill.dev", "diagnoses", None),
        ("create", "firedrill.dev", "hints", None),
        ("list", "firedrill.dev", "hints", None),
        ("list", "", "pods", None),
        ("get", "", "pods", Some("log")),
        ("list", "", "events", None),
        ("list", "", "services", None),
    ];
    for (verb, group, resource, sub) in allowed {
        assert!(can(&player, verb, ns, group, resource, sub).await, "player may not {verb} {resource}/{sub:?} in {ns}");
    }
    // And for real, not only by review: reading a Secret in the control namespace fails.
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(player.clone(), ctl);
    let err = secrets.get("firedrill-admin-token").await.expect_err("players cannot read the admin token");
    assert!(err.to_string().contains("forbidden"), "{err}");
}

#[tokio::test]
async fn the_operator_gets_what_it_needs_from_the_chart_and_no_more() {
    let lab = Lab::new(true).await;
    let operator =
        crate::support::cluster::control_plane().client(&crate::support::cluster::operator_token(lab.n), None).await;
    let (ctl, ns) = (lab.control.as_str(), lab.ns.as_str());
    // Enough: every other test runs the operator with these rights alone.
    for (verb, where_, group, resource, sub) in [
        ("get", ctl, "", "secrets", None),
        ("update", ctl, "", "secrets", None),
        ("create", ctl, "firedrill.dev", "faultinjections", None),
        ("list", ns, "", "pods", None),
        ("patch", ns, "firedrill.dev", "drills", Some("status")),
    ] {
        assert!(
            can(&operator, verb, where_, group, resource, sub).await,
            "operator may not {verb} {resource} in {where_}"
        );
    }
    // No more: nothing secret outside its namespace, no exec, no writes to pods or namespaces.
    for (verb, where_, group, resource, sub) in [
        ("get", ns, "", "secrets", None),
        ("list", "kube-system", "", "secrets", None),
        ("create", ns, "", "pods", Some("exec")),
        ("delete", ns, "", "pods", None),
        ("patch", ns, "", "pods", None),
        ("update", "", "", "namespaces", None),
        ("create", ns, "firedrill.dev", "faultinjections", None),
        ("list", "kube-system", "firedrill.dev", "scenarios", None),
    ] {
        assert!(
            !can(&operator, verb, where_, group, resource, sub).await,
            "operator may {verb} {resource}/{sub:?} in {where_:?}"
        );
    }
}

fn diagnosis_by(player: &str) -> Diagnosis {
    serde_json::from_value(json!({
        "apiVersion": "firedrill.dev/v1alpha1", "kind": "Diagnosis",
        "metadata": { "generateName": format!("{player}-") },
        "spec": { "drill": "game-day", "player": player, "service": "warehouse", "faultClass": "latency" }
    }))
    .unwrap()
}

#[tokio::test]
async fn players_submit_diagnoses_only_under_their_own_name() {
    let lab = Lab::new(true).await;
    let alice = Api::<Diagnosis>::namespaced(lab.player().await, &lab.ns);
    // The chart's admission policy takes effect once the API server has loaded it.
    let refusal = eventually("the policy refuses alice posing as bob", std::time::Duration::from_secs(30), || async {
        alice.create(&PostParams::default(), &diagnosis_by("bob")).await.err()
    })
    .await;
    let message = refusal.to_string();
    assert!(message.contains(r#"spec.player is "bob" but you are "alice""#), "{message}");
    alice.create(&PostParams::default(), &diagnosis_by("alice")).await.expect("alice submits as alice");
    let facilitator = Api::<Diagnosis>::namespaced(lab.admin.clone(), &lab.ns);
    facilitator.create(&PostParams::default(), &diagnosis_by("bob")).await.expect("a non-player submits for anyone");
    // Hints cost the player they name: the same rule.
    let hint = |player: &str| -> Hint {
        serde_json::from_value(json!({
            "apiVersion": "firedrill.dev/v1alpha1", "kind": "Hint",
            "metadata": { "generateName": format!("{player}-hint-") },
            "spec": { "drill": "game-day", "player": player }
        }))
        .unwrap()
    };
    let hints = Api::<Hint>::namespaced(lab.player().await, &lab.ns);
    let refusal = hints.create(&PostParams::default(), &hint("bob")).await.expect_err("alice cannot charge bob a hint");
    assert!(refusal.to_string().contains(r#"but you are "alice""#), "{refusal}");
    hints.create(&PostParams::default(), &hint("alice")).await.expect("alice asks as alice");
}
