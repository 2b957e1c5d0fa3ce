//! The lab's services: start order, dependencies and client settings.
//!
//! Client timeouts grow towards the edge (warehouse calls give up first, the edge last), as a
//! well-run system's do; scenarios break that on purpose with faults.

/// One service of the lab and the flags it needs besides addresses.
pub struct ServiceSpec {
    pub name: &'static str,
    /// `(flag, dependency)`: e.g. `("--warehouse-url", "warehouse")`.
    pub dependencies: &'static [(&'static str, &'static str)],
    /// Extra flags (client policy, tuning).
    pub flags: &'static [&'static str],
}

/// Services in start order: every dependency starts before its callers.
pub const SERVICES: &[ServiceSpec] = &[
    ServiceSpec { name: "warehouse", dependencies: &[], flags: &["--connections", "16"] },
    ServiceSpec { name: "payments", dependencies: &[], flags: &[] },
    ServiceSpec {
        name: "inventory",
        dependencies: &[("--warehouse-url", "warehouse")],
        flags: &["--attempt-timeout-ms", "800", "--deadline-ms", "2500", "--retry-attempts", "2"],
    },
    ServiceSpec {
        name: "pricing",
        dependencies: &[("--warehouse-url", "warehouse")],
        flags: &["--attempt-timeout-ms", "800", "--deadline-ms", "2500", "--retry-attempts", "2"],
    },
    ServiceSpec {
        name: "checkout",
        dependencies: &[("--inventory-url", "inventory"), ("--payments-url", "payments")],
        flags: &["--attempt-timeout-ms", "4000", "--deadline-ms", "6000", "--retry-attempts", "1"],
    },
    ServiceSpec {
        name: "api",
        dependencies: &[("--inventory-url", "inventory"), ("--pricing-url", "pricing"), ("--checkout-url", "checkout")],
        flags: &["--attempt-timeout-ms", "5000", "--deadline-ms", "8000", "--retry-attempts", "1"],
    },
];
