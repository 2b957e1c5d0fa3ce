//! Helpers shared by the black-box tests of the `firedrill` binary: where the binaries are,
//! running a command in a scratch directory, polling with a deadline, and reading
//! `/proc/<pid>/stat` to tell whether a process (the same one, not a reused pid) still runs.

#![allow(dead_code)]

pub mod cdp;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub fn firedrill() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_firedrill"))
}

/// The service binaries: next to `firedrill`, or `FIREDRILL_BIN_DIR`.
pub fn bin_dir() -> PathBuf {
    let dir = std::env::var_os("FIREDRILL_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| firedrill().parent().expect("bin dir").to_path_buf());
    assert!(
        dir.join("api").is_file() && dir.join("loadgen").is_file(),
        "service binaries missing in {}; build them with `cargo build --workspace --bins` (make test does)",
        dir.display()
    );
    dir
}

pub fn catalog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("scenarios")
}

/// Runs `firedrill args` in `cwd` and waits for it.
pub fn run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(firedrill())
        .current_dir(cwd)
        .env("FIREDRILL_BIN_DIR", bin_dir())
        .env("FIREDRILL_SCENARIOS", catalog())
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("running firedrill")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Polls `check` until it returns `Some`, for at most `within`.
#[track_caller]
pub fn eventually<T>(within: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + within;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < end, "condition not met within {within:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A process as `/proc` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub pid: i32,
    pub comm: String,
    pub pgrp: i32,
    /// Clock ticks after boot (field 22): with the pid, it names one process for good.
    pub start_time: u64,
}

/// `/proc/<pid>/stat`, unless the process is gone or a zombie.
pub fn seen(pid: i32) -> Option<Seen> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (head, rest) = stat.rsplit_once(')')?;
    let comm = head.split_once('(')?.1.to_string();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    if fields.first() == Some(&"Z") {
        return None;
    }
    Some(Seen { pid, comm, pgrp: fields.get(2)?.parse().ok()?, start_time: fields.get(19)?.parse().ok()? })
}

/// Whether this very process (pid and start time) still runs.
pub fn alive(p: &Seen) -> bool {
    seen(p.pid).is_some_and(|now| now.start_time == p.start_time)
}

/// Every live process in process group `pgrp`.
pub fn group_members(pgrp: i32) -> Vec<Seen> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(seen)
        .filter(|s| s.pgrp == pgrp)
        .collect()
}

/// SIGKILLs what it holds when dropped, so a failing test leaves nothing running.
#[derive(Default)]
pub struct Reaper(pub Vec<Seen>);

impl Drop for Reaper {
    fn drop(&mut self) {
        for p in self.0.iter().filter(|p| alive(p)) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(p.pid), nix::sys::signal::Signal::SIGKILL);
        }
    }
}
