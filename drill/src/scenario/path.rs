//! Paths into a scenario document (`culprits[0].targets[1].faults[2].delayMs`).
//!
//! Type errors (from serde), range errors (from `Fault::validate`) and semantic errors all name
//! the offending node by path; the position index then turns a path into a line and column.

use std::fmt;

/// One step into a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A path from the document root; empty is the root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Path(pub Vec<Seg>);

// === impl Path ===

impl Path {
    pub fn root() -> Self {
        Path(Vec::new())
    }

    /// This path with a key appended.
    pub fn key(&self, key: &str) -> Path {
        let mut p = self.clone();
        p.0.push(Seg::Key(key.to_string()));
        p
    }

    /// This path with an index appended.
    pub fn index(&self, i: usize) -> Path {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }

    pub fn starts_with(&self, prefix: &Path) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// The path up to and including its first index (`culprits[0]`), or its first key when it
    /// has no index: the "section" a mistake damages.
    pub fn section(&self) -> Path {
        let end = self.0.iter().position(|s| matches!(s, Seg::Index(_))).map_or(1, |i| i + 1);
        Path(self.0.iter().take(end).cloned().collect())
    }

    /// Reads the display form back (`faults[2].delayMs`), as `Fault::validate` reports it.
    pub fn parse(text: &str) -> Path {
        let mut segs = Vec::new();
        for part in text.split('.').filter(|p| !p.is_empty()) {
            let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
            if !key.is_empty() {
                segs.push(Seg::Key(key.to_string()));
            }
            while let Some((index, after)) = rest.split_once(']') {
                if let Ok(i) = index.parse() {
                    segs.push(Seg::Index(i));
                }
                rest = after.strip_prefix('[').unwrap_or(after);
            }
        }
        Path(segs)
    }

    /// Converts serde_path_to_error's path. An enum variant is a key in YAML
    /// (`query: {promql: ...}`).
    pub fn from_serde(path: &serde_path_to_error::Path) -> Path {
        use serde_path_to_error::Segment;
        let segs = path
            .iter()
            .filter_map(|s| match s {
                Segment::Seq { index } => Some(Seg::Index(*index)),
                Segment::Map { key } => Some(Seg::Key(key.clone())),
                Segment::Enum { variant } => Some(Seg::Key(variant.clone())),
                Segment::Unknown => None,
            })
            .collect();
        Path(segs)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => f.write_str(k)?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_round_trip() {
        let p = Path::root().key("culprits").index(0).key("targets").index(12).key("faults");
        assert_eq!(p.to_string(), "culprits[0].targets[12].faults");
        assert_eq!(Path::parse(&p.to_string()), p);
        assert_eq!(Path::parse("a[1][2].b").0.len(), 4);
    }

    #[test]
    fn section_is_the_first_list_element_or_key() {
        let p = Path::parse("culprits[1].targets[0].service");
        assert_eq!(p.section().to_string(), "culprits[1]");
        assert_eq!(Path::parse("load.rateRps").section().to_string(), "load");
    }
}
