//! Strict parsing and range checks, with the field path in every error.

use crate::document::{Fault, FaultSet, RouteMatch};

/// Why a fault document was refused. `path` is a JSON path such as `faults[1].percent`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct FaultError {
    pub path: String,
    pub reason: String,
}

const MAX_LEASE_SECONDS: u32 = 3600;
const MAX_DELAY_MS: u64 = 600_000;
const MAX_ATTEMPTS: u32 = 20;
/// Most warning lines per second a `log-noise` writes: loud, never a flood that fills the
/// log queue and drops the service's real lines.
pub const MAX_NOISE_LINES_PER_SECOND: f64 = 50.0;
/// A `cpu-burn` keeps at most one core busy.
pub const MAX_BURN_MILLICORES: u32 = 1000;

/// Parses and validates a fault document from JSON bytes.
pub fn parse_fault_set(body: &[u8]) -> Result<FaultSet, FaultError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    let set: FaultSet = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let reason = e.into_inner().to_string();
        let path = if path == "." { "$".to_string() } else { path };
        // A tagged enum hides the field inside a fault; look again with the variant's own type.
        match fault_index(&path) {
            Some(i) => refine_fault_error(body, i).unwrap_or(FaultError { path, reason }),
            None => FaultError { path, reason },
        }
    })?;
    set.validate()?;
    Ok(set)
}

/// `faults[3]` -> 3.
fn fault_index(path: &str) -> Option<usize> {
    path.strip_prefix("faults[")?.strip_suffix(']')?.parse().ok()
}

/// Re-reads fault `i` with its variant's struct so the error names the field inside it.
fn refine_fault_error(body: &[u8], i: usize) -> Option<FaultError> {
    use crate::document::*;
    let doc: serde_json::Value = serde_json::from_slice(body).ok()?;
    let mut fault = doc.get("faults")?.get(i)?.clone();
    let kind = fault.as_object_mut()?.remove("kind")?;
    let at = format!("faults[{i}]");
    match kind.as_str()? {
        "latency" => field_error::<ServerLatency>(fault, &at),
        "hang" => field_error::<Hang>(fault, &at),
        "error" => field_error::<ServerError>(fault, &at),
        "cpu" => field_error::<Cpu>(fault, &at),
        "memory" => field_error::<Memory>(fault, &at),
        "timeout" => field_error::<Timeout>(fault, &at),
        "retry" => field_error::<Retry>(fault, &at),
        "pool" => field_error::<Pool>(fault, &at),
        "client-latency" => field_error::<ClientLatency>(fault, &at),
        "sampling" => field_error::<Sampling>(fault, &at),
        "drop-spans" => field_error::<DropSpans>(fault, &at),
        "break-propagation" => field_error::<Propagation>(fault, &at),
        "log-delay" => field_error::<LogDelay>(fault, &at),
        "log-drop" => field_error::<LogDrop>(fault, &at),
        "log-noise" => field_error::<LogNoise>(fault, &at),
        "cpu-burn" => field_error::<CpuBurn>(fault, &at),
        _ => None,
    }
}

fn field_error<T: serde::de::DeserializeOwned>(value: serde_json::Value, at: &str) -> Option<FaultError> {
    let e = serde_path_to_error::deserialize::<_, T>(value).err()?;
    let inner = e.path().to_string();
    let path = if inner == "." { at.to_string() } else { format!("{at}.{inner}") };
    Some(FaultError { path, reason: e.into_inner().to_string() })
}

impl FaultSet {
    /// Range-checks every field; the first problem found is returned.
    pub fn validate(&self) -> Result<(), FaultError> {
        if self.lease_seconds == 0 || self.lease_seconds > MAX_LEASE_SECONDS {
            return Err(err("leaseSeconds", format!("must be 1..={MAX_LEASE_SECONDS}, got {}", self.lease_seconds)));
        }
        for (i, fault) in self.faults.iter().enumerate() {
            fault.validate(&format!("faults[{i}]"))?;
        }
        Ok(())
    }
}

impl Fault {
    /// Range-checks this fault; `at` is its path in the document.
    pub fn validate(&self, at: &str) -> Result<(), FaultError> {
        let p = |field: &str| format!("{at}.{field}");
        match self {
            Fault::Latency(f) => {
                check_match(&f.matcher, at)?;
                check_percent(f.percent, &p("percent"))?;
                check_ms(f.delay_ms, &p("delayMs"))?;
                check_ms(f.jitter_ms, &p("jitterMs"))
            }
            Fault::Hang(f) => {
                check_match(&f.matcher, at)?;
                check_percent(f.percent, &p("percent"))?;
                check_positive_ms(f.max_ms, &p("maxMs"))
            }
            Fault::Error(f) => {
                check_match(&f.matcher, at)?;
                check_percent(f.percent, &p("percent"))?;
                check_range(f.status.into(), 400, 599, &p("status"))
            }
            Fault::Cpu(f) => {
                check_match(&f.matcher, at)?;
                check_percent(f.percent, &p("percent"))?;
                check_range(f.burn_ms, 1, 10_000, &p("burnMs"))
            }
            Fault::Memory(f) => {
                check_match(&f.matcher, at)?;
                check_percent(f.percent, &p("percent"))?;
                check_range(f.retain_kib, 1, 1024 * 1024, &p("retainKib"))?;
                check_range(f.cap_mib, 1, 4096, &p("capMib"))
            }
            Fault::Timeout(f) => {
                check_dependency(&f.dependency, &p("dependency"))?;
                check_positive_ms(f.attempt_timeout_ms, &p("attemptTimeoutMs"))?;
                match f.deadline_ms {
                    Some(ms) => check_positive_ms(ms, &p("deadlineMs")),
                    None => Ok(()),
                }
            }
            Fault::Retry(f) => {
                check_dependency(&f.dependency, &p("dependency"))?;
                check_range(f.attempts.into(), 1, MAX_ATTEMPTS.into(), &p("attempts"))?;
                check_ms(f.backoff_ms, &p("backoffMs"))?;
                match f.budget_ratio {
                    Some(r) if !(0.0..=10.0).contains(&r) => {
                        Err(err(&p("budgetRatio"), format!("must be 0..=10, got {r}")))
                    }
                    _ => Ok(()),
                }
            }
            Fault::Pool(f) => {
                check_dependency(&f.dependency, &p("dependency"))?;
                check_range(f.max_concurrency.into(), 1, 10_000, &p("maxConcurrency"))
            }
            Fault::ClientLatency(f) => {
                check_dependency(&f.dependency, &p("dependency"))?;
                check_percent(f.percent, &p("percent"))?;
                check_ms(f.delay_ms, &p("delayMs"))?;
                check_ms(f.jitter_ms, &p("jitterMs"))
            }
            Fault::Sampling(f) if !(0.0..=1.0).contains(&f.ratio) => {
                Err(err(&p("ratio"), format!("must be 0..=1, got {}", f.ratio)))
            }
            Fault::Sampling(_) => Ok(()),
            Fault::DropSpans(f) => {
                check_dependency(&f.dependency, &p("dependency"))?;
                check_percent(f.percent, &p("percent"))
            }
            Fault::BreakPropagation(f) => check_dependency(&f.dependency, &p("dependency")),
            Fault::LogDelay(f) => check_range(f.delay_seconds, 0, 3600, &p("delaySeconds")),
            Fault::LogDrop(f) => check_percent(f.percent, &p("percent")),
            Fault::LogNoise(f) if !(f.lines_per_second > 0.0 && f.lines_per_second <= MAX_NOISE_LINES_PER_SECOND) => {
                let reason =
                    format!("must be more than 0 and at most {MAX_NOISE_LINES_PER_SECOND}, got {}", f.lines_per_second);
                Err(err(&p("linesPerSecond"), reason))
            }
            Fault::LogNoise(_) => Ok(()),
            Fault::CpuBurn(f) => check_range(f.millicores.into(), 1, MAX_BURN_MILLICORES.into(), &p("millicores")),
        }
    }
}

fn err(path: &str, reason: String) -> FaultError {
    FaultError { path: path.to_string(), reason }
}

fn check_percent(value: f64, path: &str) -> Result<(), FaultError> {
    if (0.0..=100.0).contains(&value) {
        Ok(())
    } else {
        Err(err(path, format!("must be a percentage 0..=100, got {value}")))
    }
}

fn check_range(value: u64, min: u64, max: u64, path: &str) -> Result<(), FaultError> {
    if (min..=max).contains(&value) { Ok(()) } else { Err(err(path, format!("must be {min}..={max}, got {value}"))) }
}

fn check_ms(value: u64, path: &str) -> Result<(), FaultError> {
    check_range(value, 0, MAX_DELAY_MS, path)
}

fn check_positive_ms(value: u64, path: &str) -> Result<(), FaultError> {
    check_range(value, 1, MAX_DELAY_MS, path)
}

fn check_dependency(name: &str, path: &str) -> Result<(), FaultError> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(err(path, format!("`{name}` is not a dependency name (lowercase letters, digits, '-')")))
    }
}

fn check_match(m: &RouteMatch, at: &str) -> Result<(), FaultError> {
    if let Some(route) = &m.route
        && !route.starts_with('/')
    {
        return Err(err(&format!("{at}.match.route"), format!("`{route}` must start with '/'")));
    }
    if let Some(method) = &m.method
        && (method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(err(&format!("{at}.match.method"), format!("`{method}` must be an upper-case HTTP method")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FaultKind;

    fn parse(json: &str) -> Result<FaultSet, FaultError> {
        parse_fault_set(json.as_bytes())
    }

    #[test]
    fn parses_every_kind() {
        let doc = r#"{"generation":7,"leaseSeconds":30,"faults":[
            {"kind":"latency","match":{"route":"/stock/{id}","method":"GET"},"percent":50,"delayMs":500,"jitterMs":20},
            {"kind":"hang","maxMs":2000},
            {"kind":"error","status":503,"percent":10},
            {"kind":"cpu","burnMs":20},
            {"kind":"memory","retainKib":64,"capMib":32},
            {"kind":"timeout","dependency":"warehouse","attemptTimeoutMs":50},
            {"kind":"retry","dependency":"warehouse","attempts":5,"backoffMs":10,"budgetRatio":0.2},
            {"kind":"pool","dependency":"warehouse","maxConcurrency":2},
            {"kind":"client-latency","dependency":"pricing","delayMs":100},
            {"kind":"sampling","ratio":0.01},
            {"kind":"drop-spans","dependency":"warehouse","percent":90},
            {"kind":"break-propagation","dependency":"warehouse"},
            {"kind":"log-delay","delaySeconds":90},
            {"kind":"log-drop","percent":50},
            {"kind":"log-noise","linesPerSecond":2.5},
            {"kind":"cpu-burn","millicores":250}
        ]}"#;
        let set = parse(doc).unwrap();
        let kinds: Vec<_> = set.faults.iter().map(Fault::kind).collect();
        assert_eq!(kinds, FaultKind::ALL.to_vec());
        assert_eq!(set.generation, 7);
        // Defaults apply where a field is absent.
        let Fault::Hang(h) = &set.faults[1] else { panic!("hang expected") };
        assert_eq!((h.percent, h.max_ms), (100.0, 2000));
    }

    #[test]
    fn round_trips_through_json() {
        let doc = r#"{"generation":1,"leaseSeconds":5,"faults":[{"kind":"retry","dependency":"a","attempts":3}]}"#;
        let set = parse(doc).unwrap();
        let again = parse(&serde_json::to_string(&set).unwrap()).unwrap();
        assert_eq!(set, again);
    }

    #[test]
    fn unknown_field_is_refused_with_its_path() {
        let e = parse(r#"{"generation":1,"leaseSeconds":5,"faults":[{"kind":"hang"},{"kind":"latency","delayMs":1,"dealyMs":2}]}"#)
            .unwrap_err();
        assert_eq!(e.path, "faults[1].dealyMs");
        assert!(e.reason.contains("dealyMs"), "{e}");
    }

    #[test]
    fn unknown_kind_lists_the_expected_ones() {
        let e = parse(r#"{"generation":1,"leaseSeconds":5,"faults":[{"kind":"hangg"}]}"#).unwrap_err();
        assert!(e.reason.contains("hangg") && e.reason.contains("latency"), "{e}");
    }

    #[test]
    fn out_of_range_values_name_the_field() {
        let cases = [
            (r#"{"generation":1,"leaseSeconds":0}"#, "leaseSeconds"),
            (r#"{"generation":1,"leaseSeconds":5,"faults":[{"kind":"error","status":200}]}"#, "faults[0].status"),
            (r#"{"generation":1,"leaseSeconds":5,"faults":[{"kind":"hang","percent":101}]}"#, "faults[0].percent"),
            (r#"{"generation":1,"leaseSeconds":5,"faults":[{"kind":"sampling","ratio":2}]}"#, "faults[0].ratio"),
            (
                r#"{"generation":1,"leaseSeconds":5,"faults":[{"kind":"pool","dependency":"Bad Name","maxConcurrency":1}]}"#,
                "faults[0].dependency",
            ),
            (
                r#"{"generation":1,"leaseSeconds":5,"faults":[{"kind":"latency","match":{"route":"stock"},"delayMs":1}]}"#,
                "faults[0].match.route",
            ),
            (
                r#"{"generation":1,"leaseSeconds":5,"faults":[{"kind":"log-noise","linesPerSecond":0}]}"#,
                "faults[0].linesPerSecond",
            ),
            (
                r#"{"generation":1,"leaseSeconds":5,"faults":[{"kind":"log-noise","linesPerSecond":51}]}"#,
                "faults[0].linesPerSecond",
            ),
            (
                r#"{"generation":1,"leaseSeconds":5,"faults":[{"kind":"cpu-burn","millicores":0}]}"#,
                "faults[0].millicores",
            ),
            (
                r#"{"generation":1,"leaseSeconds":5,"faults":[{"kind":"cpu-burn","millicores":1001}]}"#,
                "faults[0].millicores",
            ),
            (
                r#"{"generation":1,"leaseSeconds":5,"faults":[{"kind":"cpu-burn","millicores":100,"cores":1}]}"#,
                "faults[0].cores",
            ),
            (r#"{"generation":1,"leaseSeconds":5,"faults":[{"kind":"log-noise"}]}"#, "faults[0]"),
        ];
        for (doc, path) in cases {
            assert_eq!(parse(doc).unwrap_err().path, path, "{doc}");
        }
    }

    #[test]
    fn type_errors_carry_the_path() {
        let e =
            parse(r#"{"generation":1,"leaseSeconds":5,"faults":[{"kind":"latency","delayMs":"slow"}]}"#).unwrap_err();
        assert_eq!(e.path, "faults[0].delayMs");
    }

    #[test]
    fn schema_names_every_kind() {
        let schema = FaultSet::json_schema().to_string();
        for kind in FaultKind::ALL {
            assert!(schema.contains(&format!("\"{kind}\"")), "schema lacks {kind}");
        }
    }
}
