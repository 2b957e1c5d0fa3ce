//! Finding and loading scenario files: `scenarios/` by default, or the files named.

use std::path::{Path, PathBuf};

use std::process::ExitCode;

use anyhow::{Context, bail};
use firedrill_drill::{Catalog, Draw, Scenario};

/// The `.yaml` files of a directory, sorted.
pub fn files_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read the scenario directory {}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    Ok(files)
}

/// Reads files as `(display name, text)`.
pub fn read(files: &[PathBuf]) -> anyhow::Result<Vec<(String, String)>> {
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
            Ok((f.display().to_string(), text))
        })
        .collect()
}

/// Loads the whole catalog or reports every error in it.
pub fn load(dir: &Path) -> anyhow::Result<Catalog> {
    let texts = read(&files_in(dir)?)?;
    match Catalog::load(texts.iter().map(|(n, t)| (n.as_str(), t.as_str()))) {
        Ok(c) => Ok(c),
        Err(errors) => {
            let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            bail!("the scenario catalog in {} has errors:\n{}", dir.display(), lines.join("\n"))
        }
    }
}

/// One scenario by name from the catalog, or by path to a file.
pub fn scenario(dir: &Path, name: &str) -> anyhow::Result<Scenario> {
    let path = Path::new(name);
    if path.is_file() {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
        return Scenario::from_yaml(name, &text).map_err(|e| anyhow::anyhow!("{e}"));
    }
    let catalog = load(dir)?;
    match catalog.get(name) {
        Some(s) => Ok(s.clone()),
        None => {
            let names: Vec<&str> = catalog.iter().map(|s| s.name.as_str()).collect();
            bail!("no scenario `{name}` in {}; expected one of {}", dir.display(), names.join(", "))
        }
    }
}

/// `firedrill scenarios culprits`: `<culprit> <seed>` per culprit, the seed being the
/// smallest whose draw picks it (a Drill's seed Secret then runs that culprit).
pub fn culprits(scenario: &Scenario) -> anyhow::Result<ExitCode> {
    for c in &scenario.culprits {
        let seed = Draw::seed_for(scenario, &c.id).with_context(|| format!("no seed draws culprit `{}`", c.id))?;
        println!("{} {seed}", c.id);
    }
    Ok(ExitCode::SUCCESS)
}
