//! Writes the CRDs generated from the Rust types into `charts/firedrill/crds/` (or the
//! directory given as the first argument). The output is committed; a unit test checks drift.

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
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
