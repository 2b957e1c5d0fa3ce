//! Text to `Scenario`, reporting every mistake it can find, each at its line and column.
//!
//! serde stops at the first error, so the document is deserialized in rounds: each error is
//! recorded and the offending node pruned (an unknown key, a bad list item, a broken field),
//! and the rest is tried again. Pruning shifts list indices, so every path is translated back
//! to the original document before it is located. Once the pruned document deserializes, the
//! semantic checks run on it too, except in the sections already known to be broken (where
//! they would only repeat the damage). Nothing is returned unless there was no mistake at all.

use super::Scenario;
use super::path::{Path, Seg};
use super::validate;
use super::yaml::{self, At, Node, Pos};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One mistake in a scenario file, displayed as `file:line:column: message`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ScenarioError {
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// What is wrong; what was expected.
    pub message: String,
}

/// Every mistake found in one file, in document order; never empty.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
pub struct ScenarioErrors(pub Vec<ScenarioError>);

/// A mistake before it is located: the node it is about and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    pub path: Path,
    pub at: At,
    pub message: String,
}

/// Rounds of deserialize-and-prune before giving up; each round removes one node.
const MAX_ROUNDS: usize = 200;

pub(crate) fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioErrors> {
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| syntax_error(file, &e))?;
    // serde_yaml's own Value wants YAML tags for enums (`!promql ...`); as JSON, a
    // single-key mapping selects the variant, the same as in a Kubernetes object.
    let value = serde_json::to_value(&yaml).map_err(|e| {
        ScenarioErrors(vec![error_at(file, Pos { line: 1, column: 1 }, format!("{e}; expected plain YAML data"))])
    })?;
    let index = yaml::index(text).map_err(|(pos, message)| {
        ScenarioErrors(vec![error_at(file, pos, format!("{message}; expected valid YAML"))])
    })?;
    if value.is_null() {
        let message = "the document is empty; expected a Scenario mapping".to_string();
        return Err(ScenarioErrors(vec![error_at(file, Pos { line: 1, column: 1 }, message)]));
    }
    let mut lenient = Lenient::new(value);
    let scenario = lenient.deserialize();
    let mut problems = std::mem::take(&mut lenient.problems);
    if let Some(scenario) = &scenario {
        problems.extend(lenient.semantic(scenario));
    }
    match (scenario, problems.is_empty()) {
        (Some(scenario), true) => Ok(scenario),
        _ => Err(locate(file, &index, problems)),
    }
}

fn locate(file: &str, index: &Node, problems: Vec<Problem>) -> ScenarioErrors {
    let mut errors: Vec<ScenarioError> =
        problems.into_iter().map(|p| error_at(file, index.locate(&p.path, p.at), p.message)).collect();
    errors.sort_by_key(|e| (e.line, e.column));
    errors.dedup();
    ScenarioErrors(errors)
}

fn error_at(file: &str, pos: Pos, message: String) -> ScenarioError {
    ScenarioError { file: file.to_string(), line: pos.line, column: pos.column, message }
}

fn syntax_error(file: &str, e: &serde_yaml::Error) -> ScenarioErrors {
    let pos = e.location().map_or(Pos { line: 1, column: 1 }, |l| Pos { line: l.line(), column: l.column() });
    let message = without_location(&e.to_string());
    ScenarioErrors(vec![error_at(file, pos, format!("{message}; expected valid YAML"))])
}

/// libyaml puts "at line L column C" inside its messages; the position is reported apart.
fn without_location(message: &str) -> String {
    let Some(start) = message.find(" at line ") else {
        return message.to_string();
    };
    let rest = &message[start + " at line ".len()..];
    let after_column = rest.find("column ").map(|i| {
        let digits = &rest[i + "column ".len()..];
        let n = digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits.len());
        &digits[n..]
    });
    format!("{}{}", &message[..start], after_column.unwrap_or(""))
}

/// The document being deserialized, minus what was pruned, and how to map back.
struct Lenient {
    working: Value,
    /// Original path of a list -> original indices removed from it.
    removed: BTreeMap<Path, BTreeSet<usize>>,
    /// Original paths of removed keys: their "missing field" errors are consequences.
    removed_keys: BTreeSet<Path>,
    problems: Vec<Problem>,
}

// === impl Lenient ===

impl Lenient {
    fn new(working: Value) -> Self {
        Lenient { working, removed: BTreeMap::new(), removed_keys: BTreeSet::new(), problems: Vec::new() }
    }

    fn deserialize(&mut self) -> Option<Scenario> {
        for _ in 0..MAX_ROUNDS {
            let error = match serde_path_to_error::deserialize(self.working.clone()) {
                Ok(scenario) => return Some(scenario),
                Err(e) => e,
            };
            let local = Path::from_serde(error.path());
            let original = self.translate(&local);
            let message = error.into_inner().to_string();
            let consequence = missing_field(&message).is_some_and(|f| self.removed_keys.contains(&original.key(f)));
            if !consequence {
                let fault = fault_len(&local)
                    .and_then(|n| lookup(&self.working, &Path(local.0[..n].to_vec())))
                    .and_then(Value::as_object);
                self.problems.push(describe(original.clone(), fault, &message));
            }
            if !self.prune(&local, &original) {
                return None;
            }
        }
        None
    }

    /// Semantic problems of the (possibly pruned) scenario, in original paths, leaving out the
    /// sections that were pruned.
    fn semantic(&self, scenario: &Scenario) -> Vec<Problem> {
        let damaged: Vec<Path> = self.pruned().collect();
        validate::check(scenario)
            .into_iter()
            .map(|mut p| {
                p.path = self.translate(&p.path);
                p
            })
            .filter(|p| !damaged.iter().any(|d| p.path.starts_with(&d.section()) || d.starts_with(&p.path)))
            .collect()
    }

    fn pruned(&self) -> impl Iterator<Item = Path> + '_ {
        let items = self.removed.iter().flat_map(|(list, idx)| idx.iter().map(move |i| list.index(*i)));
        items.chain(self.removed_keys.iter().cloned())
    }

    /// Maps a path in the working document to the same node's path in the original.
    fn translate(&self, local: &Path) -> Path {
        let mut out = Path::root();
        for seg in &local.0 {
            out = match seg {
                Seg::Key(k) => out.key(k),
                Seg::Index(i) => {
                    let gone = self.removed.get(&out);
                    let original = (0..)
                        .filter(|j| gone.is_none_or(|g| !g.contains(j)))
                        .nth(*i)
                        .expect("an unbounded range has an nth element");
                    out.index(original)
                }
            };
        }
        out
    }

    /// Removes the node at `local` (or its nearest existing ancestor); false when only the
    /// root is left to remove.
    fn prune(&mut self, local: &Path, original: &Path) -> bool {
        let (mut local, mut original) = (local.clone(), original.clone());
        while let (Some(last), Some(last_original)) = (local.0.pop(), original.0.pop()) {
            let removed = match (lookup_mut(&mut self.working, &local), &last) {
                (Some(Value::Array(items)), Seg::Index(i)) if *i < items.len() => {
                    items.remove(*i);
                    true
                }
                (Some(Value::Object(map)), Seg::Key(k)) => map.remove(k).is_some(),
                _ => false,
            };
            if removed {
                match last_original {
                    Seg::Index(n) => {
                        self.removed.entry(original).or_default().insert(n);
                    }
                    Seg::Key(k) => {
                        self.removed_keys.insert(original.key(&k));
                    }
                }
                return true;
            }
        }
        false
    }
}

fn lookup<'v>(value: &'v Value, path: &Path) -> Option<&'v Value> {
    path.0.iter().try_fold(value, |v, seg| match seg {
        Seg::Key(k) => v.as_object()?.get(k),
        Seg::Index(i) => v.as_array()?.get(*i),
    })
}

fn lookup_mut<'v>(value: &'v mut Value, path: &Path) -> Option<&'v mut Value> {
    path.0.iter().try_fold(value, |v, seg| match seg {
        Seg::Key(k) => v.as_object_mut()?.get_mut(k),
        Seg::Index(i) => v.as_array_mut()?.get_mut(*i),
    })
}

/// `missing field `x`` -> `x`.
fn missing_field(message: &str) -> Option<&str> {
    quoted(message.strip_prefix("missing field ")?)
}

/// The first backquoted word.
fn quoted(text: &str) -> Option<&str> {
    let start = text.find('`')? + 1;
    let len = text[start..].find('`')?;
    Some(&text[start..start + len])
}

/// Turns serde's message into a located problem, looking inside faults, whose tagged-enum
/// errors serde reports at the fault rather than at the field.
fn describe(path: Path, fault: Option<&serde_json::Map<String, Value>>, message: &str) -> Problem {
    if let (Some(n), Some(fault)) = (fault_len(&path), fault)
        && let Some(problem) = describe_fault(&Path(path.0[..n].to_vec()), fault, message)
    {
        return problem;
    }
    let at = match quoted(message) {
        Some(field) if message.starts_with("unknown field") => {
            let path = match path.0.last() {
                Some(Seg::Key(k)) if k == field => path,
                _ => path.key(field),
            };
            return Problem { path, at: At::Key, message: tidy(message) };
        }
        _ => At::Value,
    };
    Problem { path, at, message: tidy(message) }
}

/// The length of the fault prefix of an error path: `...faults[i]`, or its tag
/// `...faults[i].kind`.
fn fault_len(path: &Path) -> Option<usize> {
    let segs = &path.0;
    let is_fault =
        |end: usize| end >= 2 && matches!(&segs[end - 2..end], [Seg::Key(k), Seg::Index(_)] if k == "faults");
    let n = segs.len();
    if is_fault(n) {
        Some(n)
    } else if n >= 1 && is_fault(n - 1) && segs[n - 1] == Seg::Key("kind".into()) {
        Some(n - 1)
    } else {
        None
    }
}

fn describe_fault(path: &Path, fault: &serde_json::Map<String, Value>, message: &str) -> Option<Problem> {
    if message.starts_with("unknown variant") {
        let kind = quoted(message).unwrap_or_default();
        let kinds: Vec<_> = firedrill_fault::FaultKind::ALL.iter().map(|k| k.as_str()).collect();
        return Some(Problem {
            path: path.key("kind"),
            at: At::Value,
            message: format!("unknown fault kind `{kind}`; expected one of {}", kinds.join(", ")),
        });
    }
    let mut body = fault.clone();
    let kind = body.remove("kind")?;
    let (inner, message) = variant_error(kind.as_str()?, Value::Object(body))?;
    let mut full = path.clone();
    full.0.extend(inner.0);
    Some(describe(full, None, &message))
}

/// Deserializes a fault's body with its variant's own struct, for the field-level error.
fn variant_error(kind: &str, body: Value) -> Option<(Path, String)> {
    use firedrill_fault::*;
    fn first<T: serde::de::DeserializeOwned>(body: Value) -> Option<(Path, String)> {
        let e = serde_path_to_error::deserialize::<_, T>(body).err()?;
        Some((Path::from_serde(e.path()), e.into_inner().to_string()))
    }
    match kind {
        "latency" => first::<ServerLatency>(body),
        "hang" => first::<Hang>(body),
        "error" => first::<ServerError>(body),
        "cpu" => first::<Cpu>(body),
        "memory" => first::<Memory>(body),
        "timeout" => first::<Timeout>(body),
        "retry" => first::<Retry>(body),
        "pool" => first::<Pool>(body),
        "client-latency" => first::<ClientLatency>(body),
        "sampling" => first::<Sampling>(body),
        "drop-spans" => first::<DropSpans>(body),
        "break-propagation" => first::<Propagation>(body),
        "log-delay" => first::<LogDelay>(body),
        "log-drop" => first::<LogDrop>(body),
        "log-noise" => first::<LogNoise>(body),
        "cpu-burn" => first::<CpuBurn>(body),
        _ => None,
    }
}

/// serde says "unknown field `x`, expected one of `a`, `b`"; the house style is
/// "unknown field `x`; expected one of a, b".
fn tidy(message: &str) -> String {
    match message.split_once(", expected ") {
        Some((what, expected)) => format!("{what}; expected {}", expected.replace('`', "")),
        None => message.to_string(),
    }
}

// === impl ScenarioErrors ===

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl ScenarioErrors {
    pub fn iter(&self) -> std::slice::Iter<'_, ScenarioError> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
