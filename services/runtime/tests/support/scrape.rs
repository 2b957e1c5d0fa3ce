//! A strict reader of the OpenMetrics text format, enough to prove an exposition parses:
//! metadata before samples, sample names that belong to their family's type, contiguous
//! families, well-formed labels and exemplars, cumulative histogram buckets, and `# EOF` last.
//! Then lookups by name and labels for the assertions.

use std::collections::{BTreeMap, HashSet};

pub type Labels = BTreeMap<String, String>;

#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: Labels,
    pub value: f64,
    pub exemplar: Option<(Labels, f64)>,
}

/// A parsed exposition: the family types in order, and every sample.
#[derive(Debug, Clone, Default)]
pub struct Scrape {
    pub families: Vec<(String, String)>,
    pub samples: Vec<Sample>,
}

impl Scrape {
    pub fn parse(text: &str) -> Result<Scrape, String> {
        let body = text.strip_suffix("# EOF\n").ok_or("does not end with `# EOF`")?;
        let mut scrape = Scrape::default();
        let mut closed: HashSet<String> = HashSet::new();
        for (i, line) in body.lines().enumerate() {
            let at = |e: String| format!("line {}: {e}: `{line}`", i + 1);
            if let Some(meta) = line.strip_prefix("# ") {
                scrape.metadata(meta, &mut closed).map_err(at)?;
            } else {
                let sample = parse_sample(line).map_err(at)?;
                scrape.check_family(&sample).map_err(at)?;
                scrape.samples.push(sample);
            }
        }
        scrape.check_histograms()?;
        Ok(scrape)
    }

    fn metadata(&mut self, meta: &str, closed: &mut HashSet<String>) -> Result<(), String> {
        let mut parts = meta.splitn(3, ' ');
        let (kw, name) = (parts.next().unwrap_or(""), parts.next().ok_or("no metric name")?);
        match kw {
            "TYPE" => {
                let ty = parts.next().ok_or("no type")?;
                let known =
                    ["counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset", "unknown"];
                if !known.contains(&ty) {
                    return Err(format!("unknown type {ty}"));
                }
                if let Some((prev, _)) = self.families.last() {
                    closed.insert(prev.clone());
                }
                if closed.contains(name) || self.families.iter().any(|(n, _)| n == name) {
                    return Err(format!("family {name} declared twice"));
                }
                self.families.push((name.to_string(), ty.to_string()));
                Ok(())
            }
            "HELP" | "UNIT" => Ok(()),
            other => Err(format!("unknown metadata `{other}`")),
        }
    }

    /// The sample must belong to the family declared last, with a suffix its type allows.
    fn check_family(&self, s: &Sample) -> Result<(), String> {
        let (family, ty) = self.families.last().ok_or("sample before any # TYPE")?;
        let suffix = s.name.strip_prefix(family.as_str()).ok_or(format!("sample outside family {family}"))?;
        let allowed: &[&str] = match ty.as_str() {
            "counter" => &["_total", "_created"],
            "histogram" => &["_bucket", "_count", "_sum", "_created"],
            "info" => &["_info"],
            "summary" => &["", "_count", "_sum", "_created"],
            _ => &[""],
        };
        if !allowed.contains(&suffix) {
            return Err(format!("{} does not fit a {ty} named {family}", s.name));
        }
        if s.exemplar.is_some() && !matches!(suffix, "_bucket" | "_total") {
            return Err("exemplar on a sample that cannot carry one".into());
        }
        if suffix == "_bucket" && !s.labels.contains_key("le") {
            return Err("bucket without `le`".into());
        }
        Ok(())
    }

    /// Buckets cumulative, ending in `+Inf` equal to `_count`.
    fn check_histograms(&self) -> Result<(), String> {
        for (family, ty) in self.families.iter().filter(|(_, t)| t == "histogram") {
            let _ = ty;
            let bucket = format!("{family}_bucket");
            let mut series: BTreeMap<Labels, Vec<(f64, f64)>> = BTreeMap::new();
            for s in self.samples.iter().filter(|s| s.name == bucket) {
                let mut key = s.labels.clone();
                let le = key.remove("le").expect("checked");
                let le: f64 =
                    if le == "+Inf" { f64::INFINITY } else { le.parse().map_err(|_| format!("bad le {le}"))? };
                series.entry(key).or_default().push((le, s.value));
            }
            for (labels, buckets) in series {
                let ordered = buckets.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1);
                let last = buckets.last().copied().unwrap_or((0.0, 0.0));
                let count = self.value(&format!("{family}_count"), &pairs(&labels));
                if !ordered || last.0 != f64::INFINITY || count != Some(last.1) {
                    return Err(format!("histogram {family}{labels:?} buckets {buckets:?} count {count:?}"));
                }
            }
        }
        Ok(())
    }

    /// The type of family `name`, if declared.
    pub fn family(&self, name: &str) -> Option<&str> {
        self.families.iter().find(|(n, _)| n == name).map(|(_, t)| t.as_str())
    }

    /// Samples named `name` whose labels include every pair in `want`.
    pub fn find<'a>(&'a self, name: &'a str, want: &'a [(&'a str, &'a str)]) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |s| {
            s.name == name && want.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }

    /// The one sample named `name` with exactly the labels in `want` (ignoring none).
    pub fn value(&self, name: &str, want: &[(&str, &str)]) -> Option<f64> {
        self.find(name, want).find(|s| s.labels.len() == want.len()).map(|s| s.value)
    }

    /// The sum over samples named `name` matching `want`; 0 when there are none.
    pub fn sum(&self, name: &str, want: &[(&str, &str)]) -> f64 {
        self.find(name, want).map(|s| s.value).sum()
    }
}

fn pairs(labels: &Labels) -> Vec<(&str, &str)> {
    labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// `name{a="b"} 1.5 # {trace_id="..."} 0.2`
fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..name_end];
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
        return Err(format!("bad metric name `{name}`"));
    }
    let (labels, rest) = parse_labels(&line[name_end..])?;
    let rest = rest.strip_prefix(' ').ok_or("no space before the value")?;
    let (value_part, exemplar_part) = match rest.split_once(" # ") {
        Some((v, e)) => (v, Some(e)),
        None => (rest, None),
    };
    let value = parse_number(value_part.split(' ').next().unwrap_or(""))?;
    let exemplar = match exemplar_part {
        Some(e) => {
            let (labels, rest) = parse_labels(e)?;
            let v = rest.trim_start().split(' ').next().unwrap_or("");
            Some((labels, parse_number(v)?))
        }
        None => None,
    };
    Ok(Sample { name: name.to_string(), labels, value, exemplar })
}

fn parse_number(s: &str) -> Result<f64, String> {
    match s {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => s.parse().map_err(|_| format!("bad number `{s}`")),
    }
}

/// Parses an optional `{k="v",...}` and returns the labels and what follows.
fn parse_labels(s: &str) -> Result<(Labels, &str), String> {
    let mut labels = Labels::new();
    let Some(mut rest) = s.strip_prefix('{') else {
        return Ok((labels, s));
    };
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((labels, after));
        }
        let eq = rest.find("=\"").ok_or("label without =\"")?;
        let key = &rest[..eq];
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("bad label name `{key}`"));
        }
        let (value, after) = quoted(&rest[eq + 2..])?;
        if labels.insert(key.to_string(), value).is_some() {
            return Err(format!("label {key} twice"));
        }
        rest = after.strip_prefix(',').unwrap_or(after);
    }
}

/// Reads an escaped label value up to its closing quote.
fn quoted(s: &str) -> Result<(String, &str), String> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &s[i + 1..])),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                other => return Err(format!("bad escape {other:?}")),
            },
            c => out.push(c),
        }
    }
    Err("unterminated label value".into())
}
