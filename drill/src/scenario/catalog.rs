//! A set of scenarios loaded together, keyed by name.
//!
//! The CLI validates a folder and the operator installs a catalog; both need the same rule:
//! every file must load, and no two files may claim the same name.

use super::{Scenario, ScenarioErrors};
use std::collections::BTreeMap;

/// Scenarios by name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    scenarios: BTreeMap<String, Scenario>,
}

/// Why a catalog did not load; every file's errors are kept.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CatalogError {
    #[error("{0}")]
    Invalid(ScenarioErrors),
    #[error("{file}: scenario name `{name}` is already used by {first}; expected unique names")]
    Duplicate { file: String, name: String, first: String },
}

// === impl Catalog ===

impl Catalog {
    /// Loads `(file name, text)` pairs. Either every file loads, or all errors come back and
    /// nothing is loaded.
    pub fn load<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Catalog, Vec<CatalogError>> {
        let mut catalog = Catalog::default();
        let mut origin: BTreeMap<String, String> = BTreeMap::new();
        let mut errors = Vec::new();
        for (file, text) in files {
            match Scenario::from_yaml(file, text) {
                Err(e) => errors.push(CatalogError::Invalid(e)),
                Ok(s) => match origin.get(&s.name) {
                    Some(first) => errors.push(CatalogError::Duplicate {
                        file: file.to_string(),
                        name: s.name.clone(),
                        first: first.clone(),
                    }),
                    None => {
                        origin.insert(s.name.clone(), file.to_string());
                        catalog.scenarios.insert(s.name.clone(), s);
                    }
                },
            }
        }
        if errors.is_empty() { Ok(catalog) } else { Err(errors) }
    }

    pub fn get(&self, name: &str) -> Option<&Scenario> {
        self.scenarios.get(name)
    }

    /// The scenarios in name order.
    pub fn iter(&self) -> impl Iterator<Item = &Scenario> {
        self.scenarios.values()
    }

    pub fn len(&self) -> usize {
        self.scenarios.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scenarios.is_empty()
    }
}
