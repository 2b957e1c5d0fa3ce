//! What `/proc/<pid>/stat` says about a process: enough to tell whether a recorded lab
//! process still runs *as the same process* (a pid can be reused; pid plus start time
//! cannot), and which process group it is in.

use serde::{Deserialize, Serialize};

/// One process for good: its pid and when it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub pid: i32,
    /// Clock ticks after boot (field 22 of `/proc/<pid>/stat`).
    pub start_time: u64,
}

/// The fields of `/proc/<pid>/stat` the lab uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub comm: String,
    /// `Z` for a zombie: dead, only waiting to be reaped.
    pub state: char,
    pub pgrp: i32,
    pub start_time: u64,
}

impl Stat {
    /// Parses one `stat` line. `comm` may hold spaces and parentheses, so it runs to the
    /// *last* `)`.
    pub fn parse(line: &str) -> Option<Stat> {
        let (head, rest) = line.rsplit_once(')')?;
        let comm = head.split_once('(')?.1.to_string();
        // `rest` starts at field 3 (state): field n is rest[n - 3].
        let fields: Vec<&str> = rest.split_whitespace().collect();
        Some(Stat {
            comm,
            state: fields.first()?.chars().next()?,
            pgrp: fields.get(2)?.parse().ok()?,
            start_time: fields.get(19)?.parse().ok()?,
        })
    }
}

/// The live (not zombie) process `pid`, if there is one.
pub fn stat(pid: i32) -> Option<Stat> {
    let line = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Stat::parse(&line).filter(|s| s.state != 'Z')
}

/// This process, or another live one, as an [`Identity`].
pub fn identity(pid: i32) -> Option<Identity> {
    stat(pid).map(|s| Identity { pid, start_time: s.start_time })
}

/// Whether the process `id` names still runs (not a zombie, not a reused pid).
pub fn alive(id: &Identity) -> bool {
    stat(id.pid).is_some_and(|s| s.start_time == id.start_time)
}

/// Every live process in process group `pgrp`, with its stat.
pub fn group(pgrp: i32) -> Vec<(i32, Stat)> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| Some((pid, stat(pid)?)))
        .filter(|(_, s)| s.pgrp == pgrp)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comm_with_spaces_and_parentheses_does_not_shift_the_fields() {
        let line = "4242 (we (ird) name) S 1 4200 4200 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 3 0 987654 1000 10";
        let s = Stat::parse(line).unwrap();
        assert_eq!(s, Stat { comm: "we (ird) name".into(), state: 'S', pgrp: 4200, start_time: 987654 });
    }

    #[test]
    fn this_process_is_alive_and_a_different_start_time_is_not() {
        let me = identity(std::process::id() as i32).expect("this process");
        assert!(alive(&me));
        assert!(!alive(&Identity { start_time: me.start_time + 1, ..me }), "a reused pid counts as alive");
        let pgrp = nix::unistd::getpgrp().as_raw();
        assert!(group(pgrp).iter().any(|(pid, _)| *pid == me.pid));
    }
}
