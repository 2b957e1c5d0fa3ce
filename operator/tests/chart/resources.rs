//! Requests and limits: every container has both, and the whole lab's memory limits stay
//! under the documented 2 GiB (docs/kind.md "Footprint"), for the default values.

use crate::render::{documents, of_kind, template};

/// Kubernetes quantity (`64Mi`, `1Gi`, `500M`) in bytes.
fn bytes(quantity: &str) -> u64 {
    let units =
        [("Ki", 1u64 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("k", 1000), ("M", 1_000_000), ("G", 1_000_000_000)];
    for (suffix, factor) in units {
        if let Some(n) = quantity.strip_suffix(suffix) {
            return n.parse::<u64>().expect("a whole quantity") * factor;
        }
    }
    quantity.parse().expect("a quantity")
}

#[test]
fn every_container_has_requests_and_limits_and_the_lab_fits_in_two_gib() {
    let docs = documents(&template("firedrill-system", &None, &[]));
    let mut limit_total = 0;
    for d in of_kind(&docs, "Deployment") {
        let replicas = d["spec"]["replicas"].as_u64().unwrap_or(1);
        for c in d["spec"]["template"]["spec"]["containers"].as_sequence().unwrap() {
            let name = c["name"].as_str().unwrap();
            for kind in ["requests", "limits"] {
                for resource in ["cpu", "memory"] {
                    assert!(!c["resources"][kind][resource].is_null(), "{name}: no {kind}.{resource}");
                }
            }
            let (request, limit) = (
                c["resources"]["requests"]["memory"].as_str().unwrap(),
                c["resources"]["limits"]["memory"].as_str().unwrap(),
            );
            assert!(bytes(request) <= bytes(limit), "{name}: request {request} above limit {limit}");
            limit_total += replicas * bytes(limit);
        }
    }
    assert!(limit_total < 2 << 30, "memory limits add up to {} MiB, over the 2 GiB goal", limit_total >> 20);
    assert_eq!(limit_total >> 20, 1920, "docs/kind.md's Footprint table says 1,920 MiB; update both together");
}
