//! Comparisons of an implementation with the topology, for the tests of whatever implements
//! it: a service's router and `--help`, a deployment's list of services. Each returns every
//! difference as a message naming the service, what differs and the fix; empty means agreement.
//!
//! They take plain data (route templates, help text, flag maps) so the drill engine stays free
//! of the services' code, and each host's test stays one call.

use super::{SERVICES, dependency_flag, service};
use std::collections::{BTreeMap, BTreeSet};

/// Where the topology is edited, for the messages.
const SOURCE: &str = "drill/src/topology/mod.rs";

/// Differences between the routes `name`'s router serves, as `(method, template)`, and the
/// routes the topology lists for it.
pub fn routes<'a>(name: &str, served: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    let Some(s) = service(name) else { return vec![unknown(name)] };
    let served: BTreeSet<(&str, &str)> = served.into_iter().collect();
    let listed: BTreeSet<(&str, &str)> = s.routes.iter().copied().collect();
    let extra = served.difference(&listed).map(|(m, r)| {
        format!("{name}'s router serves `{m} {r}`, which the topology does not list; add it to {name}'s routes in {SOURCE} or remove it from the router")
    });
    let missing = listed.difference(&served).map(|(m, r)| {
        format!("the topology lists `{m} {r}` for {name}, which its router does not serve; serve it or remove it from {SOURCE}")
    });
    extra.chain(missing).collect()
}

/// Differences between `name`'s `--help` and the topology: the `Routes:` and `Calls:` lines,
/// one `--<dependency>-url` flag per dependency and no other, and every flag the hosts pass.
pub fn help(name: &str, text: &str) -> Vec<String> {
    let Some(s) = service(name) else { return vec![unknown(name)] };
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let routes = format!("Routes: {}", s.route_list());
    if !lines.contains(&routes.as_str()) {
        out.push(format!(
            "{name} --help lacks the line `{routes}`; expected its after_help to list the topology's routes"
        ));
    }
    let calls = (!s.dependencies.is_empty()).then(|| format!("Calls: {}", s.dependencies.join(", ")));
    let written = lines.iter().find(|l| l.starts_with("Calls:"));
    if written.copied() != calls.as_deref() {
        let expected = calls.map_or("no `Calls:` line".to_string(), |c| format!("`{c}`"));
        out.push(format!("{name} --help says `{}`; expected {expected}", written.unwrap_or(&"(no Calls line)")));
    }
    let flags = flags(text);
    let urls: BTreeSet<&str> = flags.iter().copied().filter(|f| f.ends_with("-url")).collect();
    let wanted: BTreeSet<String> = s.dependencies.iter().map(|d| dependency_flag(d)).collect();
    let wanted: BTreeSet<&str> = wanted.iter().map(String::as_str).collect();
    if urls != wanted {
        out.push(format!("{name} takes the address flags {urls:?}; expected {wanted:?}, one per dependency"));
    }
    for arg in s.args().iter().filter(|a| a.starts_with("--")) {
        if !flags.contains(arg.as_str()) {
            out.push(format!("{name} has no flag `{arg}`, which the hosts pass it; add it or change the topology"));
        }
    }
    out
}

/// Differences between the services a deployment defines and the topology's.
pub fn service_names<'a>(defined: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let defined: BTreeSet<&str> = defined.into_iter().collect();
    let listed: BTreeSet<&str> = SERVICES.iter().map(|s| s.name).collect();
    let extra = defined
        .difference(&listed)
        .map(|n| format!("`{n}` is not a service of the lab; expected one of {}", super::service_names()));
    let missing = listed
        .difference(&defined)
        .map(|n| format!("service `{n}` is missing; expected every service of the topology"));
    extra.chain(missing).collect()
}

/// Differences between how a deployment runs `name` (`--<dependency>-url` flag -> service, and
/// the other args) and the topology.
pub fn deployment(name: &str, dependencies: &BTreeMap<String, String>, args: &[String]) -> Vec<String> {
    let Some(s) = service(name) else { return vec![unknown(name)] };
    let mut out = Vec::new();
    let wanted: BTreeMap<String, String> = s.dependencies.iter().map(|d| (dependency_flag(d), d.to_string())).collect();
    if dependencies != &wanted {
        out.push(format!("{name}'s dependencies are {dependencies:?}; expected {wanted:?} (see {SOURCE})"));
    }
    if args != s.args() {
        out.push(format!("{name}'s args are {args:?}; expected {:?} (see {SOURCE})", s.args()));
    }
    out
}

/// Every `--flag` named in a help text.
fn flags(text: &str) -> BTreeSet<&str> {
    let mut out = BTreeSet::new();
    for (at, _) in text.match_indices("--") {
        let rest = &text[at..];
        let end = 2 + rest[2..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(rest.len() - 2);
        if end > 2 {
            out.insert(&rest[..end]);
        }
    }
    out
}

fn unknown(name: &str) -> String {
    format!("unknown service `{name}`; expected one of {}", super::service_names())
}

#[cfg(test)]
#[path = "conformance_tests.rs"]
mod tests;

/// Where an inspected router's dependencies point: it is never called (discard port).
pub const NOWHERE: &str = "127.0.0.1:9";

/// Panics with every difference between `name`'s served routes and the topology (the
/// services' own tests call this with their real router's templates).
pub fn assert_routes<'a>(name: &str, served: impl IntoIterator<Item = (&'a str, &'a str)>) {
    let problems = routes(name, served);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Panics unless `name --help` succeeded and names the topology's routes, calls and flags.
pub fn assert_help(name: &str, output: &std::process::Output) {
    assert!(output.status.success(), "{name} --help: {output:?}");
    let problems = help(name, &String::from_utf8_lossy(&output.stdout));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
