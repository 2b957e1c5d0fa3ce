//! `firedrill lab down`, which must work whether the supervisor is alive (it is asked to
//! stop its lab) or dead (killed, crashed, OOM-killed): then whatever its record and process
//! group say still runs is stopped here, and named, and the stale files go so that the next
//! `lab up` starts clean. Also what the lab's files say about the supervisor, for `lab up`
//! and the commands that call it.

use std::time::Duration;

use anyhow::{Context, bail};
use http::Method;

use crate::daemon::{Pointer, call, lab_dir, read_pointer};
use crate::lab::ledger::{self, Entry, Record};
use crate::lab::leftovers::{self, Leftovers};
use crate::lab::procfs::{self, Identity};

/// What `lab down` did.
#[derive(Debug)]
pub enum Down {
    /// The supervisor stopped its lab; `leftovers` is what it still left (normally nothing).
    Stopped { leftovers: Vec<Entry> },
    /// The supervisor was dead; `stopped` is what it had left running.
    Dead { supervisor: Option<u32>, stopped: Vec<Entry> },
}

impl std::fmt::Display for Down {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Down::Stopped { leftovers } if leftovers.is_empty() => write!(f, "lab stopped; nothing left running"),
            Down::Stopped { leftovers } => write!(
                f,
                "lab stopped; also stopped {} it left running: {}",
                count(leftovers.len()),
                leftovers::list(leftovers)
            ),
            Down::Dead { supervisor, stopped } if stopped.is_empty() => match supervisor {
                Some(pid) => write!(f, "the lab supervisor (pid {pid}) was dead; nothing left running"),
                None => write!(f, "no lab supervisor was running; nothing left running"),
            },
            Down::Dead { stopped, .. } => {
                write!(f, "stopped {} left by a dead supervisor: {}", count(stopped.len()), leftovers::list(stopped))
            }
        }
    }
}

/// Stops the lab: through the supervisor while it lives, then (or instead, if it is dead)
/// whatever its record and process group say still runs; then removes the lab's files.
pub async fn down() -> anyhow::Result<Down> {
    if !lab_dir().exists() {
        bail!("no lab is running (start one with `firedrill lab up`)");
    }
    let found = Found::read()?;
    let supervisor = found.pointer.as_ref().map(|p| p.pid).or(found.record.as_ref().map(|r| r.owner.id.pid as u32));
    let live = found.live_supervisor();
    if let Some(pid) = live {
        stop_supervisor(&found, pid).await?;
    }
    let stopped = found.leftovers().stop(LEFTOVER_GRACE).await?;
    remove_lab_dir()?;
    Ok(match live {
        Some(_) => Down::Stopped { leftovers: stopped },
        None => Down::Dead { supervisor, stopped },
    })
}

/// How long a leftover process gets between SIGTERM and SIGKILL.
const LEFTOVER_GRACE: Duration = Duration::from_secs(6);

/// Asks the supervisor to stop (SIGTERM if it is still starting and has no control API yet)
/// and waits until it is gone.
async fn stop_supervisor(found: &Found, pid: u32) -> anyhow::Result<()> {
    if found.pointer.is_some() {
        let _ = call(Method::POST, "/shutdown", None).await;
    } else {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGTERM);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while tokio::time::Instant::now() < deadline {
        if found.live_supervisor().is_none() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("the supervisor (pid {pid}) did not stop within 60 s")
}

pub fn remove_lab_dir() -> anyhow::Result<()> {
    match std::fs::remove_dir_all(lab_dir()) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", lab_dir().display()))
        }
        _ => Ok(()),
    }
}

/// `1 process`, `11 processes`.
pub fn count(n: usize) -> String {
    if n == 1 { "1 process".into() } else { format!("{n} processes") }
}

/// What the lab directory says: the pointer (once the lab is ready) and the record of what
/// was started (from the first process on).
pub struct Found {
    pointer: Option<Pointer>,
    record: Option<Record>,
    /// The pointer's pid as a process identity, read now (for a pointer without a record).
    pointed: Option<Identity>,
}

impl Found {
    pub fn read() -> anyhow::Result<Found> {
        let pointer = read_pointer().ok();
        let record = ledger::read(&lab_dir()).context("reading the lab's processes.json")?;
        let pointed = pointer.as_ref().and_then(|p| procfs::identity(p.pid as i32));
        Ok(Found { pointer, record, pointed })
    }

    /// The supervisor's pid, if it still runs (the very process, not a reused pid).
    pub fn live_supervisor(&self) -> Option<u32> {
        let id = self.record.as_ref().map(|r| r.owner.id).or(self.pointed)?;
        procfs::alive(&id).then_some(id.pid as u32)
    }

    /// What still runs of the lab (meaningful once the supervisor is gone).
    pub fn leftovers(&self) -> Leftovers {
        match &self.record {
            Some(record) => Leftovers::find(record),
            None => Leftovers::default(),
        }
    }
}
