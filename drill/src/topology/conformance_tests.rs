//! Each comparison accepts what agrees with the topology and names every kind of drift.

use super::*;

const INVENTORY_HELP: &str = "\
Stock levels and reservations, backed by the warehouse.

Usage: inventory [OPTIONS]

Options:
      --listen <LISTEN>
      --attempt-timeout-ms <ATTEMPT_TIMEOUT_MS>
      --deadline-ms <DEADLINE_MS>
      --retry-attempts <RETRY_ATTEMPTS>
      --otlp-endpoint <OTLP_ENDPOINT>
      --warehouse-url <WAREHOUSE_URL>
          Warehouse address(es) [env: WAREHOUSE_URL=] [default: 127.0.0.1:8083]
  -h, --help

Routes: GET /stock/{id}, POST /reserve
Calls: warehouse
Admin API (bearer token): PUT|GET|DELETE /chaos/faults, GET /chaos/metrics
";

#[test]
fn a_router_must_serve_exactly_the_listed_routes() {
    let listed = [("GET", "/stock/{id}"), ("POST", "/reserve")];
    assert!(routes("inventory", listed).is_empty());
    let extra = routes("inventory", [listed[0], listed[1], ("GET", "/stock/{id}/history")]);
    assert_eq!(extra.len(), 1, "{extra:?}");
    assert!(
        extra[0].starts_with("inventory's router serves `GET /stock/{id}/history`, which the topology does not list")
    );
    let missing = routes("inventory", [listed[0], ("GET", "/reserve")]);
    assert_eq!(missing.len(), 2, "{missing:?}");
    assert!(missing[1].contains("lists `POST /reserve` for inventory"), "{missing:?}");
    assert_eq!(routes("invntory", listed).len(), 1);
}

#[test]
fn help_must_name_routes_calls_and_flags() {
    assert_eq!(help("inventory", INVENTORY_HELP), Vec::<String>::new());
    let wrong_routes = INVENTORY_HELP.replace("POST /reserve", "POST /reserve, GET /stock");
    assert!(help("inventory", &wrong_routes)[0].contains("lacks the line `Routes: GET /stock/{id}, POST /reserve`"));
    let wrong_calls = INVENTORY_HELP.replace("Calls: warehouse", "Calls: warehouse, pricing");
    assert!(help("inventory", &wrong_calls)[0].contains("expected `Calls: warehouse`"));
    let extra_url = INVENTORY_HELP.replace("--listen <LISTEN>", "--pricing-url <PRICING_URL>");
    assert!(help("inventory", &extra_url)[0].contains("address flags"), "{:?}", help("inventory", &extra_url));
    let no_retries = INVENTORY_HELP.replace("--retry-attempts", "--retries");
    assert!(help("inventory", &no_retries)[0].contains("no flag `--retry-attempts`"));
}

#[test]
fn a_leaf_service_has_no_calls_line() {
    let help_text = "      --connections <CONNECTIONS>\nRoutes: GET /query/stock/{id}, GET /query/price/{id}, POST /query/reserve\n";
    assert_eq!(help("warehouse", help_text), Vec::<String>::new());
    let with_calls = format!("{help_text}Calls: payments\n");
    assert!(help("warehouse", &with_calls)[0].contains("expected no `Calls:` line"));
}

#[test]
fn a_deployment_must_run_every_service_with_its_flags() {
    let names: Vec<&str> = SERVICES.iter().map(|s| s.name).collect();
    assert!(service_names(names.iter().copied()).is_empty());
    let renamed = service_names(names.iter().map(|n| if *n == "pricing" { "prices" } else { n }));
    assert_eq!(renamed.len(), 2, "{renamed:?}");
    let deps = BTreeMap::from([("--warehouse-url".to_string(), "warehouse".to_string())]);
    let args = crate::topology::service("pricing").unwrap().args();
    assert!(deployment("pricing", &deps, &args).is_empty());
    assert_eq!(deployment("pricing", &BTreeMap::new(), &args).len(), 1);
    assert_eq!(deployment("pricing", &deps, &args[2..]).len(), 1);
}
