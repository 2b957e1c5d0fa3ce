//! The lab's services as processes: start order, dependency flags and the other flags each
//! binary gets, all derived from the drill engine's topology (firedrill_drill::topology), the
//! one description of the lab that the Helm chart and the services' tests are also held to.
//! Client timeouts and why they grow towards the edge are documented there.

use firedrill_drill::topology;

/// One service of the lab and the flags it needs besides its own addresses.
pub struct ServiceSpec {
    pub name: &'static str,
    /// `(flag, dependency)`: e.g. `("--warehouse-url", "warehouse")`.
    pub dependencies: Vec<(String, &'static str)>,
    /// Extra flags (client policy, tuning).
    pub flags: Vec<String>,
}

/// Services in start order: every dependency starts before its callers.
pub fn services() -> Vec<ServiceSpec> {
    topology::start_order()
        .into_iter()
        .map(|s| ServiceSpec {
            name: s.name,
            dependencies: s.dependencies.iter().map(|d| (topology::dependency_flag(d), *d)).collect(),
            flags: s.args(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_process_gets_its_dependencies_and_client_flags_from_the_topology() {
        let specs = services();
        let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
        assert_eq!(names, ["warehouse", "inventory", "pricing", "payments", "checkout", "api"]);
        let checkout = specs.iter().find(|s| s.name == "checkout").unwrap();
        let deps: Vec<(&str, &str)> = checkout.dependencies.iter().map(|(f, d)| (f.as_str(), *d)).collect();
        assert_eq!(deps, [("--inventory-url", "inventory"), ("--payments-url", "payments")]);
        assert_eq!(checkout.flags, ["--attempt-timeout-ms", "4000", "--deadline-ms", "6000", "--retry-attempts", "1"]);
        let warehouse = &specs[0];
        assert!(warehouse.dependencies.is_empty());
        assert_eq!(warehouse.flags, ["--connections", "16"]);
    }
}
