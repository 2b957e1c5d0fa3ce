//! The background lab's processes never outlive their supervisor: a SIGKILLed supervisor
//! takes every service, loadgen and backend with it, `lab status` says it is dead, and
//! `lab down` stops (and names) whatever a dead supervisor left, so the next `lab up` works.
//!
//! Real binaries, as in lab_cli.rs: the service binaries must sit next to `firedrill`.

mod common;

use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use common::{Reaper, Seen, alive, eventually, group_members, run, seen, stderr, stdout};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

fn lab_file(cwd: &Path, name: &str) -> std::path::PathBuf {
    cwd.join(".firedrill").join("lab").join(name)
}

fn read_json(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_slice(&bytes).expect("JSON")
}

#[test]
fn a_killed_supervisor_takes_its_lab_with_it_and_lab_down_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let up = run(cwd, &["lab", "up", "--rate", "5"]);
    assert!(up.status.success(), "lab up: {}", stderr(&up));
    let pid = read_json(&lab_file(cwd, "lab.json"))["pid"].as_i64().expect("supervisor pid") as i32;
    let supervisor = seen(pid).expect("the supervisor runs");
    // What the supervisor started, found independently of its own records: its process group.
    let lab: Vec<Seen> = group_members(supervisor.pgrp).into_iter().filter(|p| p.pid != pid).collect();
    let mut reaper = Reaper(lab.clone());
    reaper.0.push(supervisor.clone());
    assert!(lab.len() >= 7, "six services and loadgen run in the supervisor's group: {lab:?}");

    kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();
    let end = std::time::Instant::now() + Duration::from_secs(5);
    while lab.iter().any(alive) && std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    let survivors: Vec<&Seen> = lab.iter().filter(|p| alive(p)).collect();
    assert!(survivors.is_empty(), "still running 5 s after the supervisor was killed: {survivors:?}");

    // The record names every process it started, with the start time that guards against reuse.
    let record = read_json(&lab_file(cwd, "processes.json"));
    let recorded = record["processes"].as_array().expect("processes");
    for p in &lab {
        assert!(
            recorded.iter().any(|r| r["pid"] == p.pid && r["startTime"] == p.start_time),
            "{p:?} is not in processes.json: {record}"
        );
    }
    let text = std::fs::read_to_string(lab_file(cwd, "processes.json")).unwrap();
    assert!(!text.to_lowercase().contains("token"), "no secrets in processes.json: {text}");

    let status = run(cwd, &["lab", "status"]);
    assert!(!status.status.success(), "status of a dead lab succeeded: {}", stdout(&status));
    assert!(stderr(&status).contains(&format!("supervisor (pid {pid}) is dead")), "{}", stderr(&status));
    let down = run(cwd, &["lab", "down"]);
    assert!(down.status.success(), "{}", stderr(&down));
    assert!(stdout(&down).contains("nothing left running"), "{}", stdout(&down));
    assert!(!cwd.join(".firedrill").join("lab").exists(), "lab down leaves stale files behind");

    let again = run(cwd, &["lab", "up", "--rate", "5"]);
    assert!(again.status.success(), "lab up after a dead supervisor: {}", stderr(&again));
    let second = read_json(&lab_file(cwd, "lab.json"))["pid"].as_i64().unwrap() as i32;
    if let Some(s) = seen(second) {
        reaper.0.extend(group_members(s.pgrp));
    }
    let down = run(cwd, &["lab", "down"]);
    assert!(down.status.success(), "{}", stderr(&down));
    assert_eq!(stdout(&down).trim(), "lab stopped; nothing left running");
    assert!(reaper.0.iter().all(|p| !alive(p)), "lab down left processes running");
}

fn sleeper() -> (Child, Seen) {
    let child = Command::new("sleep").arg("600").spawn().expect("starting sleep");
    let pid = child.id() as i32;
    let s = eventually(Duration::from_secs(5), || seen(pid).filter(|s| s.comm == "sleep"));
    (child, s)
}

/// A supervisor that died without cleaning up: its record names a live `sleep` (which
/// `lab down` must stop and name) and a live process whose pid matches but start time does
/// not (a reused pid, which `lab down` must leave alone).
#[test]
fn lab_down_stops_and_names_what_a_dead_supervisor_left() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let mut gone = Command::new("true").spawn().unwrap();
    gone.wait().unwrap();
    let dead = gone.id();
    let (mut left, left_seen) = sleeper();
    let (mut reused, reused_seen) = sleeper();
    let _reaper = Reaper(vec![left_seen.clone(), reused_seen.clone()]);
    std::fs::create_dir_all(lab_file(cwd, "")).unwrap();
    let record = serde_json::json!({
        "owner": { "name": "supervisor", "pid": dead, "startTime": 1 },
        "group": dead,
        "processes": [
            { "name": "left-behind", "pid": left_seen.pid, "startTime": left_seen.start_time },
            { "name": "reused", "pid": reused_seen.pid, "startTime": reused_seen.start_time + 1 },
        ],
    });
    std::fs::write(lab_file(cwd, "processes.json"), record.to_string()).unwrap();
    let pointer = serde_json::json!({ "pid": dead, "control": "127.0.0.1:9" });
    std::fs::write(lab_file(cwd, "lab.json"), pointer.to_string()).unwrap();

    let status = run(cwd, &["lab", "status"]);
    assert!(!status.status.success());
    let err = stderr(&status);
    assert!(err.contains(&format!("supervisor (pid {dead}) is dead")) && err.contains("1 process"), "{err}");

    let down = run(cwd, &["lab", "down"]);
    assert!(down.status.success(), "{}", stderr(&down));
    assert_eq!(
        stdout(&down).trim(),
        format!("stopped 1 process left by a dead supervisor: left-behind (pid {})", left_seen.pid)
    );
    let status = eventually(Duration::from_secs(5), || left.try_wait().unwrap());
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(Signal::SIGTERM as i32), "{status:?}");
    assert!(reused.try_wait().unwrap().is_none(), "lab down killed a process whose pid was reused");
    assert!(!cwd.join(".firedrill").join("lab").exists(), "lab down leaves stale files behind");
    let _ = reused.kill();
    let _ = reused.wait();
}

/// A supervisor that died between forking a child and recording it: `lab down` finds the
/// child in the dead supervisor's process group.
#[test]
fn lab_down_stops_an_unrecorded_child_left_in_the_dead_supervisors_group() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    // `sh` leads a new group, leaves a `sleep` in it and exits, as a killed supervisor would.
    let mut leader = Command::new("sh").args(["-c", "sleep 600 & exit 0"]).process_group(0).spawn().unwrap();
    let group = leader.id() as i32;
    leader.wait().unwrap();
    let orphan = eventually(Duration::from_secs(5), || group_members(group).into_iter().find(|p| p.comm == "sleep"));
    let _reaper = Reaper(vec![orphan.clone()]);
    std::fs::create_dir_all(lab_file(cwd, "")).unwrap();
    let record = serde_json::json!({
        "owner": { "name": "supervisor", "pid": group, "startTime": 1 },
        "group": group,
        "processes": [],
    });
    std::fs::write(lab_file(cwd, "processes.json"), record.to_string()).unwrap();

    let down = run(cwd, &["lab", "down"]);
    assert!(down.status.success(), "{}", stderr(&down));
    assert_eq!(
        stdout(&down).trim(),
        format!("stopped 1 process left by a dead supervisor: sleep (pid {})", orphan.pid)
    );
    assert!(!alive(&orphan), "the orphan still runs after lab down");
    assert!(!cwd.join(".firedrill").join("lab").exists(), "lab down leaves stale files behind");
}
