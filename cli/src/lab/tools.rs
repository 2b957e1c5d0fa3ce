//! Finding the third-party servers the lab runs (Prometheus, Jaeger, VictoriaLogs).

use std::path::PathBuf;

/// Where the binary `name` is: the path in the environment variable `env`, else (for tools
/// built from Go modules by `tools/*/ensure.sh`) the tools cache's `<name>-<version>/<name>`,
/// else `name` on PATH.
pub fn find(env: &str, name: &str, version: Option<&str>) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    if let Some(version) = version {
        let cached = cache_dir()?.join(format!("{name}-{version}")).join(name);
        if cached.is_file() {
            return Some(cached);
        }
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}

/// `FIREDRILL_TOOLS_CACHE`, else `~/.cache/firedrill/tools`, as the ensure scripts use.
fn cache_dir() -> Option<PathBuf> {
    match std::env::var_os("FIREDRILL_TOOLS_CACHE") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => Some(PathBuf::from(std::env::var_os("HOME")?).join(".cache/firedrill/tools")),
    }
}
