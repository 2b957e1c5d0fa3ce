//! Finding and loading scenario files: `scenarios/` by default, or the files named; and the
//! scenario of a drill, named by a facilitator or drawn by the engine (a mystery drill).

use std::path::{Path, PathBuf};

use std::process::ExitCode;

use anyhow::{Context, bail};
use firedrill_drill::{AnswerPool, Catalog, Draw, Scenario, ScenarioDrawError};

use crate::output::{Colour, paint};

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
            let catalog = catalog.iter().map(|s| s.name.clone()).collect();
            let e = ScenarioDrawError::Unknown { unknown: vec![name.to_string()], catalog };
            Err(anyhow::Error::new(e).context(format!("the scenario catalog in {}", dir.display())))
        }
    }
}

/// The scenario of a drill: the one `name`d (a file or a catalog name), or one the engine draws
/// with `seed` from the catalog, among `from` when given. Unknown names fail with a
/// [`ScenarioDrawError`] (bad input, exit 64).
pub fn pick(dir: &Path, name: Option<&str>, from: &[String], seed: u64) -> anyhow::Result<Scenario> {
    match name {
        Some(name) if from.is_empty() => scenario(dir, name),
        Some(name) => bail!("scenario `{name}` and a --from list were both given; expected one or the other"),
        None => {
            let catalog = load(dir)?;
            let drawn = firedrill_drill::draw_scenario(&catalog, seed, from)
                .with_context(|| format!("the scenario catalog in {}", dir.display()))?;
            Ok(drawn.clone())
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

/// `firedrill scenarios validate`, second half: prints each scenario's answer pool, and every
/// pool too narrow for a fair drill as an error. Returns how many were too narrow.
pub fn check_pools(scenarios: &[Scenario]) -> usize {
    let mut narrow = 0;
    for s in scenarios {
        let pool = AnswerPool::of(s);
        match pool.check() {
            Ok(()) => println!("{} pool {pool}", paint("ok", Colour::Green)),
            Err(e) => {
                narrow += 1;
                eprintln!("{} pool {pool}\n{e}", paint("too narrow", Colour::Red));
            }
        }
    }
    narrow
}
