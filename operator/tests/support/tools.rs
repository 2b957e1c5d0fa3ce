//! The third-party servers the local lab builds from source (tools/*/ensure.sh), found in the
//! tools cache at the release the repository pins.

use std::path::{Path, PathBuf};

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The value of `key` in a `tools/*/versions.env` file.
pub fn pinned(versions_file: &str, key: &str) -> Option<String> {
    let versions = std::fs::read_to_string(root().join(versions_file)).ok()?;
    versions.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('=')).map(String::from)
}

/// A tool the local lab builds from source (tools/*/ensure.sh) at the release pinned in
/// `versions_file` under `key`, the same release as the chart's image: the binary `name` in
/// the tools cache, if it has been built.
pub fn tool(name: &str, versions_file: &str, key: &str) -> Option<PathBuf> {
    let version = pinned(versions_file, key)?;
    let cache = std::env::var_os("FIREDRILL_TOOLS_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/firedrill/tools"));
    Some(cache.join(format!("{name}-{version}/{name}"))).filter(|p| p.is_file())
}
