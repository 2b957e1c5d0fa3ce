//! The game's surface on the local lab, audited: everything a player can read during a drill
//! (every service's log file, the same lines in VictoriaLogs, every service's `/metrics`, the
//! traces in Jaeger, the player's drill status) must not give the answer away. `verify` runs
//! the audit while each case's incident is active, so every shipped scenario is checked on
//! every run.
//!
//! Two rules:
//! - **No truth and no bookkeeping**: no scenario name, title or culprit id, and no word of the
//!   chaos agent's bookkeeping (`chaos`, `fault`) anywhere on the surface.
//! - **A faulted service logs like any other**: each log line of a service that holds faults
//!   (culprit, amplifier or gap) must have a shape (its message, and its fields as a subset)
//!   that an unfaulted service or the baseline before the injection also shows, unless it is
//!   one of the faults' real effects ([`EFFECT_MESSAGES`]: a caller's failed attempt; a
//!   decoy's `log-noise` lines, which are meant to be seen). A line
//!   only the faulted services write would tell players where to look without investigating.

use std::collections::{BTreeMap, BTreeSet};

use firedrill_drill::{Draw, Drill, Scenario, Timestamp};
use firedrill_runtime::chaos::background::noise_messages;
use firedrill_runtime::client::EFFECT_MESSAGES;
use serde_json::Value;

use crate::http::Http;
use crate::lab::Lab;

/// Words of the chaos agent's bookkeeping, which no player-readable text may contain
/// (compared case-insensitively).
const BOOKKEEPING: [&str; 2] = ["chaos", "fault"];

/// One log line, as far as the shape rule cares.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub service: String,
    /// Milliseconds since the epoch, from the line's `timestamp`.
    pub at_ms: Option<u64>,
    pub message: String,
    pub keys: BTreeSet<String>,
}

impl LogLine {
    /// Parses one JSON log line; `None` for a line that is not a JSON object.
    pub fn parse(service: &str, line: &str) -> Option<LogLine> {
        let v: Value = serde_json::from_str(line).ok()?;
        let obj = v.as_object()?;
        let at_ms = obj
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(|t| humantime::parse_rfc3339_weak(t).ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as u64);
        Some(LogLine {
            service: service.to_string(),
            at_ms,
            message: obj.get("message").and_then(Value::as_str).unwrap_or_default().to_string(),
            keys: obj.keys().cloned().collect(),
        })
    }
}

/// What must not appear on the surface: the scenario's name and title and every culprit id.
pub fn secrets(scenario: &Scenario) -> Vec<String> {
    let mut s = vec![scenario.name.clone(), scenario.title.clone()];
    s.extend(scenario.culprits.iter().map(|c| c.id.clone()));
    s
}

/// Where `text` (read from `place`) gives the truth or the bookkeeping away, one finding
/// each, with the offending context.
pub fn leaks_in(place: &str, text: &str, secrets: &[String]) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut found = Vec::new();
    let mut report = |what: &str, at: usize| {
        let mut start = at.saturating_sub(60);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (at + what.len() + 60).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        found.push(format!("{place} contains `{what}`: …{}…", text[start..end].replace('\n', " ")));
    };
    for secret in secrets {
        if let Some(at) = text.find(secret.as_str()) {
            report(secret, at);
        }
    }
    for word in BOOKKEEPING {
        if let Some(at) = lower.find(word) {
            report(word, at);
        }
    }
    found
}

/// Lines of faulted services whose shape neither an unfaulted service nor the baseline
/// (before `injected_at_ms`) shows, and which are not a fault's real effect: one finding per
/// distinct (service, message, extra fields).
pub fn shape_leaks(lines: &[LogLine], faulted: &BTreeSet<String>, injected_at_ms: u64) -> Vec<String> {
    let mut known: BTreeMap<&str, Vec<&BTreeSet<String>>> = BTreeMap::new();
    for l in lines {
        let baseline = l.at_ms.is_some_and(|t| t < injected_at_ms);
        if baseline || !faulted.contains(&l.service) {
            known.entry(l.message.as_str()).or_default().push(&l.keys);
        }
    }
    let mut found = BTreeSet::new();
    for l in lines.iter().filter(|l| faulted.contains(&l.service)) {
        if EFFECT_MESSAGES.contains(&l.message.as_str()) || noise_messages().any(|m| m == l.message) {
            continue;
        }
        let shapes = known.get(l.message.as_str());
        if shapes.is_some_and(|s| s.iter().any(|k| l.keys.is_subset(k))) {
            continue;
        }
        let finding = match shapes {
            None => format!("{} logs `{}`, which no unfaulted service logs", l.service, l.message),
            Some(s) => {
                let seen: BTreeSet<&String> = s.iter().flat_map(|k| k.iter()).collect();
                let extra: Vec<&str> = l.keys.iter().filter(|k| !seen.contains(k)).map(String::as_str).collect();
                format!("{} logs `{}` with fields {extra:?} that no unfaulted service's line has", l.service, l.message)
            }
        };
        found.insert(finding);
    }
    found.into_iter().collect()
}

/// The services that hold faults in `draw` (culprit, amplifiers, gaps).
pub fn faulted(draw: &Draw) -> BTreeSet<String> {
    draw.fault_sets().into_keys().map(|(service, _)| service).collect()
}

/// Reads the whole surface of the running lab and returns every finding (empty = fair).
pub async fn audit(lab: &Lab, scenario: &Scenario, draw: &Draw, drill: &Drill, now: Timestamp) -> Vec<String> {
    let http = Http::default();
    let secrets = secrets(scenario);
    let mut found = Vec::new();
    let Some(injected) = drill.injected_at() else {
        return vec!["the surface audit ran before the injection".into()];
    };

    let status = serde_json::to_string(&drill.status(now)).unwrap_or_default();
    found.extend(leaks_in("the player's drill status", &status, &secrets));

    let mut lines = Vec::new();
    for i in &lab.instances {
        let place = format!("{}[{}]'s log file", i.service, i.replica);
        match std::fs::read_to_string(&i.log) {
            Ok(text) => {
                found.extend(leaks_in(&place, &text, &secrets));
                lines.extend(text.lines().filter_map(|l| LogLine::parse(&i.service, l)));
            }
            Err(e) => found.push(format!("{place} could not be read: {e}")),
        }
        let place = format!("{}[{}]'s /metrics", i.service, i.replica);
        match http.get(&format!("http://{}/metrics", i.addr)).await {
            Ok(body) => found.extend(leaks_in(&place, &String::from_utf8_lossy(&body), &secrets)),
            Err(e) => found.push(format!("{place} did not answer: {e}")),
        }
    }
    found.extend(shape_leaks(&lines, &faulted(draw), injected.as_millis()));

    if let Some(addr) = lab.backends.victorialogs {
        let url = format!("http://{addr}/select/logsql/query?query=_time%3A15m&limit=20000");
        match http.get(&url).await {
            Ok(body) => found.extend(leaks_in("VictoriaLogs", &String::from_utf8_lossy(&body), &secrets)),
            Err(e) => found.push(format!("VictoriaLogs did not answer: {e}")),
        }
    }
    if let Some(addr) = lab.backends.jaeger {
        let services: BTreeSet<&str> = lab.instances.iter().map(|i| i.service.as_str()).collect();
        for service in services {
            let url = format!("http://{addr}/api/traces?service={service}&lookback=15m&limit=50");
            match http.get(&url).await {
                Ok(body) => found.extend(leaks_in(
                    &format!("Jaeger's traces of {service}"),
                    &String::from_utf8_lossy(&body),
                    &secrets,
                )),
                Err(e) => found.push(format!("Jaeger did not answer for {service}: {e}")),
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(service: &str, at: u64, message: &str, keys: &[&str]) -> LogLine {
        LogLine {
            service: service.into(),
            at_ms: Some(at),
            message: message.into(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
        }
    }

    const REQUEST: [&str; 6] = ["timestamp", "level", "service", "message", "http.route", "trace_id"];

    #[test]
    fn a_parsed_line_has_its_service_time_message_and_fields() {
        let l = LogLine::parse(
            "api",
            r#"{"timestamp":"2026-12-01T12:00:00.250Z","level":"INFO","service":"api","message":"request","status":200}"#,
        )
        .unwrap();
        assert_eq!(l.at_ms, Some(1_796_126_400_250));
        assert_eq!(l.message, "request");
        assert_eq!(l.keys.len(), 5);
        assert_eq!(LogLine::parse("api", "not json"), None);
    }

    #[test]
    fn the_truth_and_the_bookkeeping_are_found_anywhere_in_a_text() {
        let secrets = vec!["retry-storm".to_string(), "Retry storm behind the storefront".to_string()];
        assert!(leaks_in("x", r#"{"message":"request","status":200}"#, &secrets).is_empty());
        let found = leaks_in("api's log", r#"{"message":"Fault set applied","faults":2}"#, &secrets);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("api's log contains `fault`"), "{found:?}");
        let found = leaks_in("status", "drill verify-retry-storm-x; firedrill_chaos_active_faults 1", &secrets);
        assert_eq!(found.len(), 3, "name, chaos and fault: {found:?}");
    }

    #[test]
    fn a_faulted_service_may_log_what_others_log_and_the_faults_effects() {
        let faulted = BTreeSet::from(["warehouse".to_string(), "inventory".to_string()]);
        let lines = vec![
            line("api", 2000, "request", &REQUEST),
            // Unsampled: fewer fields than the others' lines is no give-away.
            line("warehouse", 2000, "request", &REQUEST[..5]),
            line("inventory", 2000, "upstream timeout", &["message", "dependency", "attempt"]),
            // A decoy's log-noise: loud on purpose.
            line("warehouse", 2000, "cache refresh slow", &["message", "task", "elapsed_ms"]),
            // Logged by every service at start-up, before the injection.
            line("warehouse", 500, "listening", &["message", "addr"]),
            line("warehouse", 600, "listening", &["message", "addr"]),
        ];
        assert_eq!(shape_leaks(&lines, &faulted, 1000), Vec::<String>::new());
    }

    #[test]
    fn a_line_only_faulted_services_write_gives_them_away() {
        let faulted = BTreeSet::from(["checkout".to_string()]);
        let lines = vec![
            line("api", 2000, "request", &REQUEST),
            line("checkout", 2000, "fault set applied", &["message", "faults"]),
            line("checkout", 2100, "request", &["message", "http.route", "fault_kind"]),
        ];
        let found = shape_leaks(&lines, &faulted, 1000);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found.iter().any(|f| f == "checkout logs `fault set applied`, which no unfaulted service logs"),
            "{found:?}"
        );
        assert!(found.iter().any(|f| f.contains("`request` with fields [\"fault_kind\"]")), "{found:?}");
        // The same line at baseline is no give-away: it is not about the incident.
        let before = vec![line("checkout", 500, "fault set applied", &["message", "faults"]), lines[1].clone()];
        assert!(shape_leaks(&before, &faulted, 1000).is_empty());
    }
}
