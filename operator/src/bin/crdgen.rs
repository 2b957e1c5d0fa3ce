//! Writes the CRDs generated from the Rust types into `charts/firedrill/crds/` (or the
//! directory given as the first argument). The output is committed; a unit test checks drift.

use std::path::PathBuf;

const USAGE: &str = "usage: crdgen [DIR]\n\nWrites the firedrill CRDs (Drill, Diagnosis, Scenario, FaultInjection) generated from the\noperator's Rust types into DIR (default: charts/firedrill/crds), one YAML file each.";

fn main() -> anyhow::Result<()> {
    let arg = std::env::args().nth(1);
    if let Some(flag) = arg.as_deref().filter(|a| a.starts_with('-')) {
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            return Ok(());
        }
        eprintln!("crdgen: unknown option {flag}\n\n{USAGE}");
        std::process::exit(64);
    }
    let dir = arg
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../charts/firedrill/crds"));
    std::fs::create_dir_all(&dir)?;
    for (file, crd) in firedrill_operator::crd::all() {
        let path = dir.join(file);
        std::fs::write(&path, firedrill_operator::crd::to_yaml(&crd))?;
        println!("{}", path.display());
    }
    Ok(())
}
