//! The lab's call graph, as data: which services exist, which routes each serves, which
//! services each one calls, and with what client timeouts and retries.
//!
//! This is the one description of the lab; everything else is derived from it or tested
//! against it. Scenario validation checks every target, route match and client-fault
//! dependency here, so a scenario that names a service or a call the lab does not have is
//! refused when it is loaded rather than silently doing nothing during a drill. The local lab
//! builds its processes from it (start order, `--<dependency>-url` flags, client flags). Tests
//! hold the rest to it with [`conformance`]: each service's router and `--help`
//! (services/*/tests/topology.rs) and the Helm chart's values (drill/tests/chart_values.rs).

pub mod conformance;
#[cfg(test)]
mod tests;

/// One service of the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The service name: binary, Prometheus `job`, OTel `service.name`, and the `dependency`
    /// label of its callers.
    pub name: &'static str,
    /// What the service is for, one line.
    pub role: &'static str,
    /// The routes it serves, as `(method, route template)`.
    pub routes: &'static [(&'static str, &'static str)],
    /// The services it calls.
    pub dependencies: &'static [&'static str],
    /// How it calls them; `None` exactly when it calls nobody (the binary's defaults apply).
    pub client: Option<CallPolicy>,
    /// Other flags the lab passes, as `(flag, value)`: service tuning, not addresses.
    pub tuning: &'static [(&'static str, &'static str)],
}

/// The client policy a service uses for every dependency: `--attempt-timeout-ms`,
/// `--deadline-ms` and `--retry-attempts` of its binary.
///
/// Timeouts grow towards the edge (warehouse calls give up first, the edge last), as a
/// well-run system's do: each caller waits longer than the calls beneath it may take, so the
/// innermost timeout fires first and the error names the slow hop. Scenarios break that on
/// purpose with faults (`timeout`, `retry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallPolicy {
    /// One attempt.
    pub attempt_timeout_ms: u32,
    /// The whole call, retries and pool wait included.
    pub deadline_ms: u32,
    /// Attempts per call, the first included.
    pub retry_attempts: u32,
}

/// Every service of the lab, the edge first.
pub const SERVICES: &[Service] = &[
    Service {
        name: "api",
        role: "edge: product pages fan out to inventory and pricing; checkout goes to checkout",
        routes: &[("GET", "/api/products/{id}"), ("POST", "/api/checkout")],
        dependencies: &["inventory", "pricing", "checkout"],
        client: Some(CallPolicy { attempt_timeout_ms: 5000, deadline_ms: 8000, retry_attempts: 1 }),
        tuning: &[],
    },
    Service {
        name: "inventory",
        role: "stock levels and reservations, backed by warehouse",
        routes: &[("GET", "/stock/{id}"), ("POST", "/reserve")],
        dependencies: &["warehouse"],
        client: Some(CallPolicy { attempt_timeout_ms: 800, deadline_ms: 2500, retry_attempts: 2 }),
        tuning: &[],
    },
    Service {
        name: "pricing",
        role: "prices, with an in-process cache in front of warehouse",
        routes: &[("GET", "/price/{id}")],
        dependencies: &["warehouse"],
        client: Some(CallPolicy { attempt_timeout_ms: 800, deadline_ms: 2500, retry_attempts: 2 }),
        tuning: &[],
    },
    Service {
        name: "warehouse",
        role: "database-like store: connection-pooled, real per-query work, shared downstream",
        routes: &[("GET", "/query/stock/{id}"), ("GET", "/query/price/{id}"), ("POST", "/query/reserve")],
        dependencies: &[],
        client: None,
        tuning: &[("--connections", "16")],
    },
    Service {
        name: "checkout",
        role: "orders: reserves stock in inventory and charges payments",
        routes: &[("POST", "/orders")],
        dependencies: &["inventory", "payments"],
        client: Some(CallPolicy { attempt_timeout_ms: 4000, deadline_ms: 6000, retry_attempts: 1 }),
        tuning: &[],
    },
    Service {
        name: "payments",
        role: "card charges",
        routes: &[("POST", "/charge")],
        dependencies: &[],
        client: None,
        tuning: &[],
    },
];

/// The service called `name`, if the lab has it.
pub fn service(name: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.name == name)
}

/// The service names, comma-separated, for "expected one of ..." messages.
pub fn service_names() -> String {
    SERVICES.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

/// The services in start order: each after every service it calls, otherwise in
/// [`SERVICES`] order.
pub fn start_order() -> Vec<&'static Service> {
    let mut order: Vec<&'static Service> = Vec::with_capacity(SERVICES.len());
    while order.len() < SERVICES.len() {
        let ready = SERVICES.iter().find(|s| {
            !order.iter().any(|o| o.name == s.name) && s.dependencies.iter().all(|d| order.iter().any(|o| o.name == *d))
        });
        // A cycle would leave nothing ready; `tests::every_service_starts_after_what_it_calls` fails on one.
        order.push(ready.expect("the call graph has no cycle"));
    }
    order
}

/// The flag that gives a service the address(es) of `dependency`: `--warehouse-url`.
pub fn dependency_flag(dependency: &str) -> String {
    format!("--{dependency}-url")
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

    /// The flags besides addresses that every host passes the binary (the local lab, the
    /// chart's `args`): the client policy, then the tuning.
    pub fn args(&self) -> Vec<String> {
        let client = self.client.iter().flat_map(|c| {
            [
                ("--attempt-timeout-ms", c.attempt_timeout_ms),
                ("--deadline-ms", c.deadline_ms),
                ("--retry-attempts", c.retry_attempts),
            ]
            .map(|(flag, value)| [flag.to_string(), value.to_string()])
        });
        let tuning = self.tuning.iter().map(|(flag, value)| [flag.to_string(), value.to_string()]);
        client.chain(tuning).flatten().collect()
    }
}
