//! The semantic checks: what types alone cannot say. Services and calls that exist in the lab,
//! answer keys that match their culprit, hints in order, signals that can be checked.
//!
//! Every problem names the node it is about by path, so the caller can point at its line.

use super::parse::Problem;
use super::path::Path;
use super::yaml::At;
use super::{API_VERSION, Culprit, KIND, Query, Scenario, Signal, Target};
use crate::topology::{self, Service};
use firedrill_fault::{Fault, FaultKind, RouteMatch};
use std::collections::BTreeSet;

/// Time limits players get, in seconds.
pub const TIME_LIMIT_SECONDS: std::ops::RangeInclusive<u32> = 60..=7200;
/// Replicas a service may run in the lab.
pub const REPLICAS: std::ops::RangeInclusive<u32> = 1..=10;
/// How long a signal may take to show, in seconds.
pub const WITHIN_SECONDS: std::ops::RangeInclusive<u32> = 1..=600;
const MAX_RATE_RPS: f64 = 1000.0;
const MAX_RATE_MULTIPLIER: f64 = 10.0;

pub(crate) fn check(scenario: &Scenario) -> Vec<Problem> {
    let mut c = Checker { s: scenario, problems: Vec::new() };
    c.header();
    c.load();
    c.replicas();
    c.culprits();
    for (field, targets) in [("amplifiers", &scenario.amplifiers), ("gaps", &scenario.gaps)] {
        for (i, t) in targets.iter().enumerate() {
            c.target(&Path::root().key(field).index(i), t, field == "gaps");
        }
    }
    c.hints();
    c.signals(&Path::root().key("signals"), &scenario.signals, &BTreeSet::new());
    super::decoys::check(&mut c);
    c.problems
}

pub(super) struct Checker<'a> {
    pub(super) s: &'a Scenario,
    problems: Vec<Problem>,
}

/// Kebab-case: lowercase words of letters and digits joined by single dashes, 1..=63 chars.
pub fn is_kebab(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.split('-').all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

// === impl Checker ===

impl Checker<'_> {
    pub(super) fn report(&mut self, path: Path, message: String) {
        self.problems.push(Problem { path, at: At::Value, message });
    }

    fn header(&mut self) {
        let root = Path::root();
        if self.s.api_version != API_VERSION {
            let msg = format!("unsupported apiVersion `{}`; expected {API_VERSION}", self.s.api_version);
            self.report(root.key("apiVersion"), msg);
        }
        if self.s.kind != KIND {
            let msg = format!("unknown kind `{}`; expected {KIND}", self.s.kind);
            self.report(root.key("kind"), msg);
        }
        self.kebab(root.key("name"), "name", &self.s.name.clone());
        self.non_empty(root.key("title"), "title", &self.s.title.clone());
        self.non_empty(root.key("briefing"), "briefing", &self.s.briefing.clone());
        for msg in super::incident::problems(self.s) {
            self.report(root.key("incident"), msg);
        }
        let limit = self.s.time_limit_seconds;
        if !TIME_LIMIT_SECONDS.contains(&limit) {
            let msg = format!("timeLimitSeconds {limit} is out of range; expected {TIME_LIMIT_SECONDS:?}");
            self.report(root.key("timeLimitSeconds"), msg);
        }
    }

    pub(super) fn kebab(&mut self, path: Path, what: &str, value: &str) {
        if !is_kebab(value) {
            let msg = format!(
                "{what} `{value}` is not kebab-case; expected lowercase letters and digits joined by '-', at most 63 characters"
            );
            self.report(path, msg);
        }
    }

    /// `signal`: the query must yield a number (isolating queries may be plain searches).
    pub(super) fn query(&mut self, path: Path, query: &Query, signal: bool) {
        match query {
            Query::Promql(q) => {
                for msg in super::promql::problems(q, signal) {
                    self.report(path.key("promql"), msg);
                }
            }
            Query::Logsql(q) => {
                for msg in super::logs::problems(q, signal) {
                    self.report(path.key("logsql"), msg);
                }
            }
            Query::Traces(t) => {
                for (at, msg) in t.problems(&path.key("traces")) {
                    self.report(at, msg);
                }
            }
        }
    }

    pub(super) fn non_empty(&mut self, path: Path, what: &str, value: &str) {
        if value.trim().is_empty() {
            self.report(path, format!("{what} is empty; expected some text"));
        }
    }

    fn load(&mut self) {
        let path = Path::root().key("load");
        let load = &self.s.load;
        if !(load.rate_rps > 0.0 && load.rate_rps <= MAX_RATE_RPS) {
            let msg =
                format!("rateRps {} is out of range; expected more than 0 and at most {MAX_RATE_RPS}", load.rate_rps);
            self.report(path.key("rateRps"), msg);
        }
        let weights = [("product", load.mix.product), ("checkout", load.mix.checkout)];
        for (name, w) in weights {
            if !(w.is_finite() && w >= 0.0) {
                let msg = format!("weight {w} is not usable; expected a number >= 0");
                self.report(path.key("mix").key(name), msg);
            }
        }
        if load.mix.product + load.mix.checkout <= 0.0 {
            let msg = "the mix sends no traffic; expected a positive weight for product or checkout";
            self.report(path.key("mix"), msg.to_string());
        }
        self.steps(&path.key("steps"));
    }

    fn steps(&mut self, path: &Path) {
        let mut previous = None;
        for (i, step) in self.s.load.steps.iter().enumerate() {
            let at = path.index(i);
            if previous.is_some_and(|p| step.at_seconds <= p) {
                let msg = format!(
                    "step at {} s is not after the previous one; expected steps in increasing atSeconds",
                    step.at_seconds
                );
                self.report(at.key("atSeconds"), msg);
            } else if step.at_seconds >= self.s.time_limit_seconds {
                let msg = format!(
                    "step at {} s is past the time limit; expected less than {}",
                    step.at_seconds, self.s.time_limit_seconds
                );
                self.report(at.key("atSeconds"), msg);
            }
            let m = step.rate_multiplier;
            if !(m > 0.0 && m <= MAX_RATE_MULTIPLIER) {
                let msg = format!(
                    "rateMultiplier {m} is out of range; expected more than 0 and at most {MAX_RATE_MULTIPLIER}"
                );
                self.report(at.key("rateMultiplier"), msg);
            }
            previous = Some(step.at_seconds);
        }
    }

    fn replicas(&mut self) {
        let path = Path::root().key("replicas");
        for (service, count) in &self.s.replicas {
            if topology::service(service).is_none() {
                self.problems.push(Problem { path: path.key(service), at: At::Key, message: unknown_service(service) });
            } else if !REPLICAS.contains(count) {
                let msg = format!("{count} replicas of {service} is out of range; expected {REPLICAS:?}");
                self.report(path.key(service), msg);
            }
        }
    }

    fn culprits(&mut self) {
        let path = Path::root().key("culprits");
        if self.s.culprits.is_empty() {
            let msg = "no culprits; expected at least one".to_string();
            self.report(path.clone(), msg);
        }
        let mut ids = BTreeSet::new();
        for (i, culprit) in self.s.culprits.iter().enumerate() {
            let at = path.index(i);
            self.kebab(at.key("id"), "culprit id", &culprit.id);
            if !ids.insert(culprit.id.as_str()) {
                let msg = format!("duplicate culprit id `{}`; expected ids unique within the scenario", culprit.id);
                self.report(at.key("id"), msg);
            }
            self.culprit(&at, culprit);
        }
    }

    fn culprit(&mut self, path: &Path, culprit: &Culprit) {
        if culprit.targets.is_empty() {
            self.report(path.key("targets"), "no targets; expected at least one".into());
        }
        for (i, t) in culprit.targets.iter().enumerate() {
            self.target(&path.key("targets").index(i), t, false);
        }
        let service = &culprit.answer.service;
        if !culprit.targets.iter().any(|t| &t.service == service) {
            let names: Vec<_> = culprit.targets.iter().map(|t| t.service.as_str()).collect();
            let msg = format!(
                "answer service `{service}` is not among this culprit's targets; expected one of {}",
                names.join(", ")
            );
            self.report(path.key("answer").key("service"), msg);
        }
        self.non_empty(path.key("story"), "story", &culprit.story);
        let common: BTreeSet<&str> = self.s.signals.iter().map(|s| s.name.as_str()).collect();
        self.signals(&path.key("signals"), &culprit.signals, &common);
        if self.s.signals.is_empty() && culprit.signals.is_empty() {
            let msg = format!(
                "culprit `{}` has no signals; expected at least one here or in the scenario's `signals`, so it can be verified",
                culprit.id
            );
            self.report(path.key("id"), msg);
        }
        for (i, q) in culprit.isolating_queries.iter().enumerate() {
            let at = path.key("isolatingQueries").index(i);
            self.non_empty(at.key("why"), "why", &q.why);
            self.query(at.key("query"), &q.query, false);
        }
    }

    pub(super) fn target(&mut self, path: &Path, target: &Target, telemetry_only: bool) {
        let Some(service) = topology::service(&target.service) else {
            self.report(path.key("service"), unknown_service(&target.service));
            return;
        };
        let replicas = self.s.replicas_of(service.name);
        if let Some(r) = target.replica.filter(|r| *r >= replicas) {
            let msg = format!(
                "replica {r} does not exist: {} runs {replicas}; expected an index below {replicas} (see `replicas`)",
                service.name
            );
            self.report(path.key("replica"), msg);
        }
        if target.faults.is_empty() {
            self.report(path.key("faults"), "no faults; expected at least one".into());
        }
        for (i, fault) in target.faults.iter().enumerate() {
            let at = path.key("faults").index(i);
            self.fault(&at, service, fault);
            if telemetry_only && !is_telemetry(fault.kind()) {
                let msg = format!(
                    "`{}` is not a telemetry fault; expected one of sampling, drop-spans, break-propagation, log-delay, log-drop in `gaps` (put it in `amplifiers`)",
                    fault.kind()
                );
                self.report(at.key("kind"), msg);
            }
        }
    }

    fn fault(&mut self, path: &Path, service: &Service, fault: &Fault) {
        if let Err(e) = fault.validate(&path.to_string()) {
            let field = Path::parse(&e.path);
            let name = field.0.last().map(|_| e.path.rsplit('.').next().unwrap_or(&e.path));
            let msg = format!("`{}` {}", name.unwrap_or("fault"), e.reason);
            self.report(field, msg);
        }
        if let Some(dependency) = fault.dependency()
            && !service.calls(dependency)
        {
            let msg = match service.dependencies {
                [] => format!(
                    "{} calls no other service, so it has no dependency `{dependency}`; expected a server-side fault here",
                    service.name
                ),
                deps => format!("{} does not call `{dependency}`; expected one of {}", service.name, deps.join(", ")),
            };
            self.report(path.key("dependency"), msg);
        }
        if let Some(m) = route_match(fault)
            && !service.serves(m.method.as_deref(), m.route.as_deref())
        {
            let wanted = format!("{} {}", m.method.as_deref().unwrap_or("*"), m.route.as_deref().unwrap_or("*"));
            let msg = format!("{} serves no `{wanted}`; expected one of {}", service.name, service.route_list());
            self.report(path.key("match"), msg);
        }
    }

    fn hints(&mut self) {
        let path = Path::root().key("hints");
        let mut previous: Option<u32> = None;
        for (i, hint) in self.s.hints.iter().enumerate() {
            let at = path.index(i);
            if let Some(p) = previous.filter(|p| hint.after_seconds < *p) {
                let msg = format!(
                    "hint unlocks at {} s, before the previous hint ({p} s); expected hints in unlock order",
                    hint.after_seconds
                );
                self.report(at.key("afterSeconds"), msg);
            } else if hint.after_seconds >= self.s.time_limit_seconds {
                let msg = format!(
                    "hint unlocks at {} s, after the time limit; expected less than {}",
                    hint.after_seconds, self.s.time_limit_seconds
                );
                self.report(at.key("afterSeconds"), msg);
            }
            self.non_empty(at.key("text"), "hint text", &hint.text);
            previous = Some(hint.after_seconds);
        }
    }

    pub(super) fn signals(&mut self, path: &Path, signals: &[Signal], taken: &BTreeSet<&str>) {
        let mut names = BTreeSet::new();
        for (i, signal) in signals.iter().enumerate() {
            let at = path.index(i);
            self.kebab(at.key("name"), "signal name", &signal.name);
            if taken.contains(signal.name.as_str()) || !names.insert(signal.name.as_str()) {
                let msg = format!(
                    "duplicate signal name `{}`; expected names unique among a culprit's and the common signals",
                    signal.name
                );
                self.report(at.key("name"), msg);
            }
            self.assertion(&at, &signal.query, signal.threshold, signal.within_seconds);
        }
    }

    /// What a signal and a briefing claim share: a query that returns one value, a finite
    /// threshold and a deadline inside the drill.
    pub(super) fn assertion(&mut self, at: &Path, query: &Query, threshold: f64, within: u32) {
        self.query(at.key("query"), query, true);
        if !threshold.is_finite() {
            let msg = format!("threshold {threshold} is not a number; expected a finite number");
            self.report(at.key("threshold"), msg);
        }
        if !WITHIN_SECONDS.contains(&within) || within > self.s.time_limit_seconds {
            let msg = format!(
                "withinSeconds {within} is out of range; expected {WITHIN_SECONDS:?} and within the time limit"
            );
            self.report(at.key("withinSeconds"), msg);
        }
    }
}

fn unknown_service(name: &str) -> String {
    format!("unknown service `{name}`; expected one of {}", topology::service_names())
}

fn is_telemetry(kind: FaultKind) -> bool {
    matches!(
        kind,
        FaultKind::Sampling
            | FaultKind::DropSpans
            | FaultKind::BreakPropagation
            | FaultKind::LogDelay
            | FaultKind::LogDrop
    )
}

/// The route match of a server-side fault that names a route or method.
fn route_match(fault: &Fault) -> Option<&RouteMatch> {
    let m = match fault {
        Fault::Latency(f) => &f.matcher,
        Fault::Hang(f) => &f.matcher,
        Fault::Error(f) => &f.matcher,
        Fault::Cpu(f) => &f.matcher,
        Fault::Memory(f) => &f.matcher,
        _ => return None,
    };
    (m.route.is_some() || m.method.is_some()).then_some(m)
}
