//! What a dead lab owner left running, found from its record (pid and start time, so a
//! reused pid is never touched) and from its process group (which also holds a child it
//! forked but died before recording), and stopped: SIGTERM, then SIGKILL after a grace.

use std::time::Duration;

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

use super::ledger::{Entry, Record};
use super::procfs::{self, Identity};

/// Live processes a lab's owner left behind.
#[derive(Debug, Default)]
pub struct Leftovers {
    pub processes: Vec<Entry>,
    /// The owner's process group, when it is safe to signal as a whole.
    group: Option<i32>,
}

/// Processes that outlived SIGKILL (not ours to kill, or stuck in the kernel).
#[derive(Debug, thiserror::Error)]
#[error("could not stop {}", list(.0))]
pub struct Survivors(pub Vec<Entry>);

impl Leftovers {
    /// What still runs of `record`'s lab. Call it once the owner is gone: while it lives,
    /// its group is its own business.
    pub fn find(record: &Record) -> Leftovers {
        let mut processes: Vec<Entry> = record.processes.iter().filter(|e| procfs::alive(&e.id)).cloned().collect();
        let group = orphaned_group(record);
        let me = std::process::id() as i32;
        let members = group.map(procfs::group).unwrap_or_default();
        let group = group.filter(|_| !members.is_empty());
        for (pid, stat) in members {
            if pid != me && !processes.iter().any(|e| e.id.pid == pid) {
                processes.push(Entry { name: stat.comm, id: Identity { pid, start_time: stat.start_time } });
            }
        }
        Leftovers { processes, group }
    }

    pub fn is_empty(&self) -> bool {
        self.processes.is_empty()
    }

    /// SIGTERM, then SIGKILL what is left after `grace`; returns what was stopped.
    pub async fn stop(self, grace: Duration) -> Result<Vec<Entry>, Survivors> {
        self.signal(Signal::SIGTERM);
        if !self.gone_within(grace).await {
            self.signal(Signal::SIGKILL);
            self.gone_within(Duration::from_secs(2)).await;
        }
        let survivors: Vec<Entry> = self.processes.iter().filter(|e| procfs::alive(&e.id)).cloned().collect();
        if survivors.is_empty() { Ok(self.processes) } else { Err(Survivors(survivors)) }
    }

    fn signal(&self, signal: Signal) {
        for e in &self.processes {
            // Checked right before the signal, so a pid reused meanwhile is left alone.
            if procfs::alive(&e.id) {
                let _ = kill(Pid::from_raw(e.id.pid), signal);
            }
        }
        if let Some(group) = self.group {
            let _ = killpg(Pid::from_raw(group), signal);
        }
    }

    async fn gone_within(&self, within: Duration) -> bool {
        let end = tokio::time::Instant::now() + within;
        loop {
            if !self.processes.iter().any(|e| procfs::alive(&e.id)) {
                return true;
            }
            if tokio::time::Instant::now() >= end {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The owner's process group, if the owner led it (as the supervisor leads its own) and is
/// dead, and it is not this process's group. A group id is its leader's pid, and the kernel
/// does not hand out a pid that still names a group, so while members remain no other
/// process can have created a group of that number; if some process now holds the pid, the
/// number was reused and the group is left alone.
fn orphaned_group(record: &Record) -> Option<i32> {
    let group = record.group;
    let mine = nix::unistd::getpgrp().as_raw();
    (group > 1 && group == record.owner.id.pid && group != mine && procfs::stat(group).is_none()).then_some(group)
}

/// `api-0 (pid 12), loadgen (pid 14)`.
pub fn list(entries: &[Entry]) -> String {
    let names: Vec<String> = entries.iter().map(|e| format!("{} (pid {})", e.name, e.id.pid)).collect();
    names.join(", ")
}
