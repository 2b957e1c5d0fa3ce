//! One fault set, pre-indexed for the hot path: server faults in order, client overrides by
//! dependency, telemetry and background knobs as plain numbers.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use firedrill_fault::{Fault, FaultKind, FaultSet, RouteMatch};

/// The faults in force, with their expiry.
#[derive(Debug, Default)]
pub struct Active {
    pub set: Option<FaultSet>,
    pub expires_at: Option<Instant>,
    server: Vec<Fault>,
    clients: HashMap<String, ClientOverrides>,
    pub sampling_ratio: Option<f64>,
    pub log_delay: Option<Duration>,
    pub log_drop_percent: Option<f64>,
    /// `log-noise`: warning lines per second the background job writes.
    pub log_noise_per_second: Option<f64>,
    /// `cpu-burn`: thousandths of one core the background job keeps busy.
    pub cpu_burn_millicores: Option<u32>,
}

/// What faults change about calls to one dependency.
#[derive(Debug, Default, Clone)]
pub struct ClientOverrides {
    pub attempt_timeout: Option<Duration>,
    pub deadline: Option<Duration>,
    pub retry: Option<firedrill_fault::Retry>,
    pub max_concurrency: Option<usize>,
    pub latency: Option<firedrill_fault::ClientLatency>,
    pub drop_spans_percent: Option<f64>,
    pub break_propagation: bool,
}

/// What a server-side fault does to one request, decided once when the request arrives.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerAction {
    Delay(Duration),
    Hang(Duration),
    Fail(u16),
    BurnCpu(Duration),
    Retain { kib: u64, cap_mib: u64 },
}

// === impl Active ===

impl Active {
    /// Indexes a validated fault set that expires at `expires_at`.
    pub fn new(set: FaultSet, expires_at: Instant) -> Self {
        let mut active = Active { expires_at: Some(expires_at), ..Active::default() };
        for fault in &set.faults {
            active.index(fault);
        }
        active.set = Some(set);
        active
    }

    fn index(&mut self, fault: &Fault) {
        let dep = fault.dependency().unwrap_or_default().to_string();
        fn client<'a>(this: &'a mut Active, dep: &str) -> &'a mut ClientOverrides {
            this.clients.entry(dep.to_string()).or_default()
        }
        match fault {
            Fault::Latency(_) | Fault::Hang(_) | Fault::Error(_) | Fault::Cpu(_) | Fault::Memory(_) => {
                self.server.push(fault.clone())
            }
            Fault::Timeout(f) => {
                let c = client(self, &dep);
                c.attempt_timeout = Some(Duration::from_millis(f.attempt_timeout_ms));
                c.deadline = f.deadline_ms.map(Duration::from_millis);
            }
            Fault::Retry(f) => client(self, &dep).retry = Some(f.clone()),
            Fault::Pool(f) => client(self, &dep).max_concurrency = Some(f.max_concurrency as usize),
            Fault::ClientLatency(f) => client(self, &dep).latency = Some(f.clone()),
            Fault::DropSpans(f) => client(self, &dep).drop_spans_percent = Some(f.percent),
            Fault::BreakPropagation(_) => client(self, &dep).break_propagation = true,
            Fault::Sampling(f) => self.sampling_ratio = Some(f.ratio),
            Fault::LogDelay(f) => self.log_delay = Some(Duration::from_secs(f.delay_seconds)),
            Fault::LogDrop(f) => self.log_drop_percent = Some(f.percent),
            // Like the other knobs, the last one in the document wins.
            Fault::LogNoise(f) => self.log_noise_per_second = Some(f.lines_per_second),
            Fault::CpuBurn(f) => self.cpu_burn_millicores = Some(f.millicores),
        }
    }

    /// True once the lease has run out.
    pub fn expired(&self, now: Instant) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }

    /// Overrides for calls to `dependency`, if any fault names it.
    pub fn client(&self, dependency: &str) -> Option<&ClientOverrides> {
        self.clients.get(dependency)
    }

    /// True when at least one server-side fault is active (lets the hot path skip matching).
    pub fn has_server_faults(&self) -> bool {
        !self.server.is_empty()
    }

    /// Decides, with fresh dice per fault, what happens to a request on `route`/`method`.
    /// Returns the fault kinds that fired with their actions, in document order.
    pub fn server_actions(&self, route: &str, method: &str) -> Vec<(FaultKind, ServerAction)> {
        self.server.iter().filter_map(|fault| server_action(fault, route, method).map(|a| (fault.kind(), a))).collect()
    }

    /// Counts faults by kind, for the active-faults gauge.
    pub fn kinds(&self) -> Vec<FaultKind> {
        self.set.iter().flat_map(|s| s.faults.iter().map(Fault::kind)).collect()
    }
}

fn server_action(fault: &Fault, route: &str, method: &str) -> Option<ServerAction> {
    let (matcher, percent) = match fault {
        Fault::Latency(f) => (&f.matcher, f.percent),
        Fault::Hang(f) => (&f.matcher, f.percent),
        Fault::Error(f) => (&f.matcher, f.percent),
        Fault::Cpu(f) => (&f.matcher, f.percent),
        Fault::Memory(f) => (&f.matcher, f.percent),
        _ => return None,
    };
    if !matches(matcher, route, method) || !roll(percent) {
        return None;
    }
    Some(match fault {
        Fault::Latency(f) => ServerAction::Delay(jittered(f.delay_ms, f.jitter_ms)),
        Fault::Hang(f) => ServerAction::Hang(Duration::from_millis(f.max_ms)),
        Fault::Error(f) => ServerAction::Fail(f.status),
        Fault::Cpu(f) => ServerAction::BurnCpu(Duration::from_millis(f.burn_ms)),
        Fault::Memory(f) => ServerAction::Retain { kib: f.retain_kib, cap_mib: f.cap_mib },
        _ => unreachable!("filtered above"),
    })
}

fn matches(m: &RouteMatch, route: &str, method: &str) -> bool {
    m.route.as_deref().is_none_or(|r| r == route) && m.method.as_deref().is_none_or(|x| x == method)
}

/// True with probability `percent`/100.
pub fn roll(percent: f64) -> bool {
    percent >= 100.0 || (percent > 0.0 && fastrand::f64() * 100.0 < percent)
}

/// `base` plus uniform jitter in `0..=jitter`, in milliseconds.
pub fn jittered(base_ms: u64, jitter_ms: u64) -> Duration {
    let extra = if jitter_ms == 0 { 0 } else { fastrand::u64(0..=jitter_ms) };
    Duration::from_millis(base_ms + extra)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active(json: &str) -> Active {
        let set = firedrill_fault::parse_fault_set(json.as_bytes()).unwrap();
        Active::new(set, Instant::now() + Duration::from_secs(60))
    }

    #[test]
    fn server_faults_match_route_and_method() {
        let a = active(
            r#"{"generation":1,"leaseSeconds":60,"faults":[
                {"kind":"error","status":503,"match":{"route":"/stock/{id}","method":"GET"}}]}"#,
        );
        assert_eq!(a.server_actions("/stock/{id}", "GET"), vec![(FaultKind::Error, ServerAction::Fail(503))]);
        assert!(a.server_actions("/stock/{id}", "POST").is_empty());
        assert!(a.server_actions("/reserve", "GET").is_empty());
    }

    #[test]
    fn percent_is_honoured_statistically() {
        let a = active(r#"{"generation":1,"leaseSeconds":60,"faults":[{"kind":"error","status":500,"percent":25}]}"#);
        let hits = (0..4000).filter(|_| !a.server_actions("/x", "GET").is_empty()).count();
        assert!((800..1200).contains(&hits), "25% of 4000 gave {hits}");
    }

    #[test]
    fn client_overrides_are_indexed_by_dependency() {
        let a = active(
            r#"{"generation":1,"leaseSeconds":60,"faults":[
                {"kind":"timeout","dependency":"warehouse","attemptTimeoutMs":50},
                {"kind":"pool","dependency":"warehouse","maxConcurrency":2},
                {"kind":"break-propagation","dependency":"pricing"}]}"#,
        );
        let w = a.client("warehouse").unwrap();
        assert_eq!(w.attempt_timeout, Some(Duration::from_millis(50)));
        assert_eq!(w.max_concurrency, Some(2));
        assert!(!w.break_propagation);
        assert!(a.client("pricing").unwrap().break_propagation);
        assert!(a.client("payments").is_none());
    }

    #[test]
    fn expiry_is_inclusive_of_the_deadline() {
        let now = Instant::now();
        let a = Active::new(FaultSet::healthy(1, 1), now);
        assert!(a.expired(now));
        assert!(!Active::default().expired(now), "no set, nothing to expire");
    }
}
