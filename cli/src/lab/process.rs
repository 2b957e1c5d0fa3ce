//! One lab process: spawned with its log file, handed the admin token on stdin (never in its
//! environment or on disk, where a player could read it), tied to its owner's life (see
//! `lifeline`), recorded in `processes.json` as it starts, stopped with SIGTERM.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

use super::ledger::Ledger;
use super::lifeline;
use crate::http::Http;

/// A running lab process.
pub struct Process {
    pub name: String,
    pub log: PathBuf,
    child: Child,
}

/// Why a process could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("cannot start {name} ({program}): {source}")]
    Spawn { name: String, program: String, source: std::io::Error },
    #[error("cannot open the log file {path}: {source}")]
    Log { path: String, source: std::io::Error },
    #[error("{name} did not become ready within {secs} s; see {log}")]
    NotReady { name: String, secs: u64, log: String },
    #[error("{name} exited during start-up; see {log}")]
    Exited { name: String, log: String },
    #[error("cannot record {name} in processes.json: {source}")]
    Record { name: String, source: std::io::Error },
}

/// A free loopback port (bound and released; the lab starts right after).
pub fn free_addr() -> std::io::Result<SocketAddr> {
    TcpListener::bind("127.0.0.1:0")?.local_addr()
}

impl Process {
    /// Starts `program args`, writing stdout and stderr to `log`, and `stdin_secret` (if any)
    /// to its stdin before closing it; records it in `ledger`.
    pub async fn spawn(
        ledger: &Ledger,
        name: &str,
        program: &Path,
        args: &[String],
        env: &[(&str, &str)],
        log: PathBuf,
        stdin_secret: Option<&str>,
    ) -> Result<Process, SpawnError> {
        let file = std::fs::File::create(&log)
            .map_err(|source| SpawnError::Log { path: log.display().to_string(), source })?;
        let err_file =
            file.try_clone().map_err(|source| SpawnError::Log { path: log.display().to_string(), source })?;
        let mut cmd = Command::new(program);
        cmd.args(args)
            .envs(env.iter().copied())
            .stdout(file)
            .stderr(err_file)
            .stdin(if stdin_secret.is_some() { Stdio::piped() } else { Stdio::null() })
            .kill_on_drop(true);
        let mut child = lifeline::spawn(cmd).await.map_err(|source| SpawnError::Spawn {
            name: name.to_string(),
            program: program.display().to_string(),
            source,
        })?;
        if let Some(pid) = child.id() {
            ledger.add(name, pid).map_err(|source| SpawnError::Record { name: name.to_string(), source })?;
        }
        if let (Some(secret), Some(mut stdin)) = (stdin_secret, child.stdin.take()) {
            let _ = stdin.write_all(secret.as_bytes()).await;
            let _ = stdin.shutdown().await;
        }
        Ok(Process { name: name.to_string(), log, child })
    }

    /// Waits until `url` answers 2xx, failing early if the process exits.
    pub async fn wait_ready(&mut self, http: &Http, url: &str, within: Duration) -> Result<(), SpawnError> {
        let end = tokio::time::Instant::now() + within;
        let ready = loop {
            if http.get(url).await.is_ok() {
                break Some(true);
            }
            if self.exited() {
                break Some(false);
            }
            if tokio::time::Instant::now() >= end {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        match ready {
            Some(true) => Ok(()),
            Some(false) => Err(SpawnError::Exited { name: self.name.clone(), log: self.log.display().to_string() }),
            None => Err(SpawnError::NotReady {
                name: self.name.clone(),
                secs: within.as_secs(),
                log: self.log.display().to_string(),
            }),
        }
    }

    fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    pub async fn stop(mut self, grace: Duration) {
        if let Some(pid) = self.child.id() {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
        }
        if tokio::time::timeout(grace, self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
        }
    }
}
