//! The lab's call graph, as data: which services exist, which routes each serves and which
//! services each one calls.
//!
//! Scenario validation checks every target, route match and client-fault dependency against
//! this list, so a scenario that names a service or a call the lab does not have is refused when
//! it is loaded rather than silently doing nothing during a drill.

/// One service of the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The service name: Prometheus `job`, OTel `service.name`, and the `dependency` label of
    /// its callers.
    pub name: &'static str,
    /// What the service is for, one line.
    pub role: &'static str,
    /// The routes it serves, as `(method, route template)`.
    pub routes: &'static [(&'static str, &'static str)],
    /// The services it calls.
    pub dependencies: &'static [&'static str],
}

/// Every service of the lab, callers before callees.
pub const SERVICES: &[Service] = &[
    Service {
        name: "api",
        role: "edge: product pages fan out to inventory and pricing; checkout goes to checkout",
        routes: &[("GET", "/api/products/{id}"), ("POST", "/api/checkout")],
        dependencies: &["inventory", "pricing", "checkout"],
    },
    Service {
        name: "inventory",
        role: "stock levels and reservations, backed by warehouse",
        routes: &[("GET", "/stock/{id}"), ("POST", "/reserve")],
        dependencies: &["warehouse"],
    },
    Service {
        name: "pricing",
        role: "prices, with an in-process cache in front of warehouse",
        routes: &[("GET", "/price/{id}")],
        dependencies: &["warehouse"],
    },
    Service {
        name: "warehouse",
        role: "database-like store: connection-pooled, real per-query work, shared downstream",
        routes: &[("GET", "/query/stock/{id}"), ("GET", "/query/price/{id}"), ("POST", "/query/reserve")],
        dependencies: &[],
    },
    Service {
        name: "checkout",
        role: "orders: reserves stock in inventory and charges payments",
        routes: &[("POST", "/orders")],
        dependencies: &["inventory", "payments"],
    },
    Service { name: "payments", role: "card charges", routes: &[("POST", "/charge")], dependencies: &[] },
];

/// The service called `name`, if the lab has it.
pub fn service(name: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.name == name)
}

/// The service names, comma-separated, for "expected one of ..." messages.
pub fn service_names() -> String {
    SERVICES.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

// === impl Service ===

impl Service {
    /// Whether this service serves `route` (and `method`, when given).
    pub fn serves(&self, method: Option<&str>, route: Option<&str>) -> bool {
        self.routes.iter().any(|(m, r)| method.is_none_or(|want| want == *m) && route.is_none_or(|want| want == *r))
    }

    /// Whether this service calls `dependency`.
    pub fn calls(&self, dependency: &str) -> bool {
        self.dependencies.contains(&dependency)
    }

    /// The routes as `METHOD /route`, comma-separated, for messages.
    pub fn route_list(&self) -> String {
        let routes: Vec<String> = self.routes.iter().map(|(m, r)| format!("{m} {r}")).collect();
        routes.join(", ")
    }
}

#[cfg(test)]
mod tests {
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
}
