//! The topology's own rules: a call graph that can start, a client policy where there are
//! calls, and client timeouts that grow towards the edge.

use super::*;

#[test]
fn every_dependency_is_a_service() {
    for s in SERVICES {
        for d in s.dependencies {
            assert!(service(d).is_some(), "{} calls unknown {d}", s.name);
        }
    }
}

#[test]
fn every_service_starts_after_what_it_calls() {
    let order: Vec<&str> = start_order().iter().map(|s| s.name).collect();
    assert_eq!(order, ["warehouse", "inventory", "pricing", "payments", "checkout", "api"]);
    for s in SERVICES {
        let at = order.iter().position(|n| *n == s.name).unwrap();
        for d in s.dependencies {
            let dep_at = order.iter().position(|n| n == d).unwrap();
            assert!(dep_at < at, "{} starts before its dependency {d}: {order:?}", s.name);
        }
    }
}

#[test]
fn a_service_has_a_client_policy_exactly_when_it_calls_something() {
    for s in SERVICES {
        assert_eq!(s.client.is_some(), !s.dependencies.is_empty(), "{}", s.name);
        if let Some(c) = s.client {
            assert!(c.deadline_ms >= c.attempt_timeout_ms && c.retry_attempts >= 1, "{}: {c:?}", s.name);
        }
    }
}

#[test]
fn timeouts_grow_towards_the_edge() {
    for caller in SERVICES {
        let Some(mine) = caller.client else { continue };
        for callee in caller.dependencies.iter().filter_map(|d| service(d)?.client) {
            assert!(
                mine.attempt_timeout_ms > callee.attempt_timeout_ms && mine.deadline_ms > callee.deadline_ms,
                "{} gives up no later than a service it calls: {mine:?} vs {callee:?}",
                caller.name
            );
        }
    }
}

#[test]
fn args_are_the_client_policy_then_the_tuning() {
    let args = |name| service(name).unwrap().args();
    assert_eq!(args("inventory"), ["--attempt-timeout-ms", "800", "--deadline-ms", "2500", "--retry-attempts", "2"]);
    assert_eq!(args("warehouse"), ["--connections", "16"]);
    assert!(args("payments").is_empty());
    assert_eq!(dependency_flag("warehouse"), "--warehouse-url");
}

#[test]
fn warehouse_is_shared_by_inventory_and_pricing() {
    let callers: Vec<_> = SERVICES.iter().filter(|s| s.calls("warehouse")).map(|s| s.name).collect();
    assert_eq!(callers, ["inventory", "pricing"]);
}

#[test]
fn serves_checks_method_and_route() {
    let inv = service("inventory").unwrap();
    assert!(inv.serves(Some("GET"), Some("/stock/{id}")));
    assert!(inv.serves(None, Some("/reserve")));
    assert!(!inv.serves(Some("GET"), Some("/reserve")));
    assert!(!inv.serves(None, Some("/query/stock/{id}")));
    assert!(service("nope").is_none());
}

#[test]
fn the_format_docs_list_the_topology() {
    let doc = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/scenario-format.md");
    let text = std::fs::read_to_string(doc).unwrap();
    for s in SERVICES {
        let prefix = format!("| `{}` | ", s.name);
        let row = text.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no row for {}", s.name));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let routes: Vec<String> = s.routes.iter().map(|(m, r)| format!("`{m} {r}`")).collect();
        assert!(routes.iter().all(|r| cells[2].contains(r.as_str())), "{row}: expected {routes:?}");
        assert_eq!(cells[2].matches('`').count(), 2 * routes.len(), "{row}: routes not in the topology");
        let calls = if s.dependencies.is_empty() { "—".to_string() } else { s.dependencies.join(", ") };
        assert_eq!(cells[3], calls, "{row}");
    }
}
