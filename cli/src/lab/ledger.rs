//! `processes.json`: what a lab started, written as each process starts, so that whatever a
//! dead owner (the supervisor, or `play`/`verify`) left running can still be found and
//! stopped. Names, pids and start times only: the admin token never reaches the disk.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::procfs::{self, Identity};

/// The record's file name inside the lab's directory.
pub const FILE: &str = "processes.json";

/// One recorded process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    #[serde(flatten)]
    pub id: Identity,
}

/// The whole record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    /// The process that started the lab and would have stopped it.
    pub owner: Entry,
    /// The owner's process group, which its children share.
    pub group: i32,
    pub processes: Vec<Entry>,
}

/// The record of a running lab, rewritten on every change.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    record: Mutex<Record>,
}

impl Ledger {
    /// Starts a record in `dir` owned by this process (`owner` names it).
    pub fn create(dir: &Path, owner: &str) -> io::Result<Ledger> {
        let pid = std::process::id() as i32;
        let id = procfs::identity(pid).ok_or_else(|| io::Error::other("this process is not in /proc"))?;
        let record = Record {
            owner: Entry { name: owner.to_string(), id },
            group: nix::unistd::getpgrp().as_raw(),
            processes: Vec::new(),
        };
        let ledger = Ledger { path: dir.join(FILE), record: Mutex::new(record) };
        ledger.save(&ledger.record.lock().expect("ledger lock"))?;
        Ok(ledger)
    }

    /// Records `pid` (just started) as `name`. A process that already exited is left out.
    pub fn add(&self, name: &str, pid: u32) -> io::Result<()> {
        let Some(id) = procfs::identity(pid as i32) else { return Ok(()) };
        let mut record = self.record.lock().expect("ledger lock");
        record.processes.push(Entry { name: name.to_string(), id });
        self.save(&record)
    }

    /// Removes the record, once everything in it was stopped.
    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }

    /// Writes a temporary file and renames it, so a reader never sees half a record.
    fn save(&self, record: &Record) -> io::Result<()> {
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(record).map_err(io::Error::other)?)?;
        std::fs::rename(&tmp, &self.path)
    }
}

/// The record in `dir`, if there is one.
pub fn read(dir: &Path) -> io::Result<Option<Record>> {
    match std::fs::read(dir.join(FILE)) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(io::Error::other),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_names_each_process_as_it_starts_and_goes_with_the_lab() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::create(dir.path(), "owner").unwrap();
        let mut child = std::process::Command::new("sleep").arg("60").spawn().unwrap();
        ledger.add("sleeper", child.id()).unwrap();
        let record = read(dir.path()).unwrap().expect("a record");
        assert_eq!(record.owner.id.pid, std::process::id() as i32);
        assert_eq!(record.processes.len(), 1);
        assert_eq!(record.processes[0].name, "sleeper");
        assert!(procfs::alive(&record.processes[0].id));
        let _ = child.kill();
        let _ = child.wait();
        ledger.remove();
        assert!(read(dir.path()).unwrap().is_none());
    }
}
