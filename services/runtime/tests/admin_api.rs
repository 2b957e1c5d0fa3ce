//! The admin API refuses what it must (401, 400 with the field path, 409, 413) and keeps the
//! active set intact when it does; DELETE clears everything.

mod support;

use http::{Method, StatusCode};
use serde_json::{Value, json};
use support::{Node, Setup, leaf, web};

/// A fault set that makes every request fail, so "intact" is visible on the service port.
fn failing(generation: u64) -> Value {
    json!({ "generation": generation, "leaseSeconds": 60, "faults": [{ "kind": "error", "status": 418 }] })
}

async fn put_raw(node: &Node, auth: Option<&str>, body: Vec<u8>) -> web::Reply {
    let headers: Vec<(&str, &str)> = auth.map(|a| ("authorization", a)).into_iter().collect();
    web::send(node.running.admin_addr, Method::PUT, "/chaos/faults", &headers, body).await.expect("admin reachable")
}

/// The previous set is still the one in force.
async fn assert_intact(node: &Node) {
    let shown = node.get_faults().await;
    assert_eq!(shown["generation"], 5, "{shown}");
    assert_eq!(shown["faults"][0]["status"], 418, "{shown}");
    assert_eq!(node.get("/x/1").await.status, StatusCode::IM_A_TEAPOT, "and still bites");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_the_token_are_refused() {
    let leaf = leaf(Setup::new()).await;
    leaf.put_faults(failing(5)).await;
    let healthy = json!({ "generation": 6, "leaseSeconds": 60, "faults": [] }).to_string().into_bytes();
    for auth in [None, Some("Bearer wrong-token"), Some("test-token"), Some("Basic dGVzdC10b2tlbg==")] {
        let reply = put_raw(&leaf, auth, healthy.clone()).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "auth {auth:?}: {}", reply.text());
        assert_eq!(reply.headers.get("www-authenticate").map(|v| v.as_bytes()), Some(&b"Bearer"[..]));
    }
    for (method, path) in
        [(Method::GET, "/chaos/faults"), (Method::DELETE, "/chaos/faults"), (Method::GET, "/chaos/metrics")]
    {
        let reply = web::send(leaf.running.admin_addr, method.clone(), path, &[], Vec::new()).await.expect("reachable");
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    assert_intact(&leaf).await;
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_document_names_the_field_and_changes_nothing() {
    let leaf = leaf(Setup::new()).await;
    leaf.put_faults(failing(5)).await;
    let cases = [
        (json!([{ "kind": "latency", "delayMs": "soon" }]), "faults[0].delayMs"),
        (
            json!([{ "kind": "latency", "delayMs": 10 }, { "kind": "latency", "delayMs": 10_000_000 }]),
            "faults[1].delayMs",
        ),
        (json!([{ "kind": "error", "status": 200 }]), "faults[0].status"),
        (json!([{ "kind": "hang", "percent": 150 }]), "faults[0].percent"),
        (json!([{ "kind": "retry", "dependency": "leaf", "attempts": 0 }]), "faults[0].attempts"),
    ];
    for (faults, path) in cases {
        let doc = json!({ "generation": 6, "leaseSeconds": 60, "faults": faults });
        let reply = leaf.admin(Method::PUT, Some(doc.to_string())).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{doc}: {}", reply.text());
        let body = reply.json();
        assert_eq!(body["path"], path, "{doc}: {body}");
        assert!(body["reason"].as_str().is_some_and(|r| !r.is_empty()), "{body}");
    }
    let strict = [
        (json!({ "generation": 6, "leaseSeconds": 0, "faults": [] }), "leaseSeconds"),
        (json!({ "generation": 6, "leaseSeconds": 60, "faults": [], "ttl": 1 }), "ttl"),
        (json!({ "generation": 6, "leaseSeconds": 60, "faults": [{ "kind": "hangg" }] }), "hangg"),
        (
            json!({ "generation": 6, "leaseSeconds": 60, "faults": [{ "kind": "cpu", "burnMs": 5, "colour": 1 }] }),
            "colour",
        ),
    ];
    for (doc, named) in strict {
        let reply = leaf.admin(Method::PUT, Some(doc.to_string())).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{doc}");
        assert!(reply.text().contains(named), "the answer names `{named}`: {}", reply.text());
    }
    let reply = leaf.admin(Method::PUT, Some("{not json".into())).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_intact(&leaf).await;
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_generation_conflicts() {
    let leaf = leaf(Setup::new()).await;
    leaf.put_faults(failing(5)).await;
    let reply = leaf.admin(Method::PUT, Some(json!({ "generation": 4, "leaseSeconds": 60 }).to_string())).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text());
    assert!(reply.text().contains('5') && reply.text().contains('4'), "names both generations: {}", reply.text());
    assert_intact(&leaf).await;
    leaf.put_faults(failing(5)).await; // the same generation is a renewal, not a conflict
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_64_kib_is_too_large() {
    let leaf = leaf(Setup::new()).await;
    leaf.put_faults(failing(5)).await;
    // A valid document padded with whitespace past the limit: only its size is wrong.
    let mut body = json!({ "generation": 6, "leaseSeconds": 60, "faults": [] }).to_string().into_bytes();
    body.resize(64 * 1024 + 1, b' ');
    let reply = put_raw(&leaf, Some("Bearer test-token"), body.clone()).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", reply.text());
    assert_intact(&leaf).await;
    body.truncate(64 * 1024);
    let reply = put_raw(&leaf, Some("Bearer test-token"), body).await;
    assert_eq!(reply.status, StatusCode::OK, "exactly 64 KiB is accepted: {}", reply.text());
    leaf.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_clears_every_fault() {
    let leaf = leaf(Setup::new()).await;
    let two = json!({ "generation": 5, "leaseSeconds": 60, "faults": [
        { "kind": "error", "status": 418 }, { "kind": "latency", "delayMs": 1 }] });
    leaf.put_faults(two).await;
    let chaos = leaf.chaos_metrics().await;
    assert_eq!(chaos.value("firedrill_chaos_active_faults", &[("kind", "error")]), Some(1.0));
    assert_eq!(chaos.value("firedrill_chaos_active_faults", &[("kind", "latency")]), Some(1.0));
    let shown = leaf.clear_faults().await;
    assert_eq!(shown["faults"], json!([]), "{shown}");
    assert_eq!(leaf.get_faults().await["faults"], json!([]));
    assert_eq!(leaf.get("/x/1").await.status, StatusCode::OK);
    let chaos = leaf.chaos_metrics().await;
    assert_eq!(chaos.sum("firedrill_chaos_active_faults", &[]), 0.0, "every kind back to zero");
    let reply = leaf.admin(Method::POST, None).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    leaf.stop().await;
}
