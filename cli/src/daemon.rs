//! `firedrill lab up|status|down` and the drill commands that talk to the supervisor.
//!
//! `lab up` starts `firedrill lab supervise` in its own process group, waits for it to write
//! `.firedrill/lab/lab.json` (its pid and control address: no secrets), and returns. Every
//! other command reads that file and calls the control API, after checking that the
//! supervisor still lives (`lab down`, which works without it, is in `teardown`).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use http::Method;
use serde::{Deserialize, Serialize};

use crate::http::{Http, HttpError};
use crate::lab::leftovers;
use crate::lab::{Lab, LabOptions, free_addr};
use crate::supervisor::Supervisor;
use crate::teardown::{Found, count, remove_lab_dir};

/// The supervisor refused a request; `status` 400 means the request itself was bad input.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct Refused {
    pub status: http::StatusCode,
    pub reason: String,
}

/// Where the running lab's pointer file lives.
pub fn lab_dir() -> PathBuf {
    PathBuf::from(".firedrill").join("lab")
}

/// The pointer file: how to reach the supervisor.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pointer {
    pub pid: u32,
    pub control: std::net::SocketAddr,
    /// The game-day screen's listener (read-only page; absent from older supervisors).
    #[serde(default)]
    pub screen: Option<std::net::SocketAddr>,
}

/// Starts the supervisor in the background and waits until the lab is ready.
pub async fn up(catalog: &Path, bin_dir: &Path, rate: f64) -> anyhow::Result<()> {
    let dir = lab_dir();
    let found = Found::read()?;
    if let Some(pid) = found.live_supervisor() {
        bail!("a lab is already running (supervisor pid {pid}); `firedrill lab down` first");
    }
    let left = found.leftovers();
    if !left.is_empty() {
        bail!(
            "a dead lab supervisor left {} running: {}; `firedrill lab down` stops them",
            count(left.processes.len()),
            leftovers::list(&left.processes)
        );
    }
    // Whatever is there is stale: a dead supervisor's pointer and record.
    remove_lab_dir()?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let log = std::fs::File::create(dir.join("supervisor.log")).context("creating supervisor.log")?;
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .args(["--scenarios-dir", &catalog.display().to_string(), "--bin-dir", &bin_dir.display().to_string()])
        .args(["lab", "supervise", "--rate", &rate.to_string()])
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()
        .context("starting the lab supervisor")?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while tokio::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            bail!("the lab supervisor exited ({status}); see {}", dir.join("supervisor.log").display());
        }
        if read_pointer().is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = child.kill();
    bail!("the lab was not ready within 90 s; see {}", dir.join("supervisor.log").display())
}

/// The supervisor process: lab up, control API, game-day screen (each on its own loopback
/// port), clock; on shutdown everything goes down.
pub async fn supervise(catalog: PathBuf, bin_dir: PathBuf, rate: f64) -> anyhow::Result<()> {
    let replicas = crate::catalog::load(&catalog).map(|c| max_replicas(&c)).unwrap_or_default();
    let opts = LabOptions {
        dir: lab_dir(),
        bin_dir,
        replicas,
        rate,
        mix: "product=8,checkout=2".into(),
        prometheus: true,
        jaeger: true,
        victorialogs: true,
    };
    let lab = Lab::up(&opts).await.context("starting the lab")?;
    let control = free_addr()?;
    let listener = tokio::net::TcpListener::bind(control).await?;
    let (screen_listener, screen) = crate::screen::bind().await.context("binding the game-day screen")?;
    let screen_config = crate::screen::config(&lab.backends);
    let supervisor = Supervisor::new(lab, catalog, PathBuf::from(".firedrill").join("leaderboard.json"));
    supervisor.set_screen(screen);
    let clock = tokio::spawn(supervisor.clone().run_clock());
    let server = tokio::spawn(crate::control::serve(listener, supervisor.clone()));
    let page = firedrill_screen::Screen::new(crate::screen::SupervisorSource(supervisor.clone()), screen_config);
    let stopping = supervisor.clone();
    let screen_server =
        tokio::spawn(crate::screen::serve(screen_listener, page, async move { stopping.stopped().await }));
    let pointer = Pointer { pid: std::process::id(), control, screen: Some(screen) };
    std::fs::write(lab_dir().join("lab.json"), serde_json::to_vec_pretty(&pointer)?)?;
    tokio::select! {
        () = supervisor.stopped() => {},
        () = firedrill_signal() => {},
    }
    clock.abort();
    server.abort();
    screen_server.abort();
    supervisor.take_down().await;
    let _ = std::fs::remove_dir_all(lab_dir());
    Ok(())
}

async fn firedrill_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {},
        _ = tokio::signal::ctrl_c() => {},
    }
}

fn max_replicas(catalog: &firedrill_drill::Catalog) -> std::collections::BTreeMap<String, u32> {
    let mut out = std::collections::BTreeMap::new();
    for s in catalog.iter() {
        for (service, n) in &s.replicas {
            let e = out.entry(service.clone()).or_insert(1);
            *e = (*e).max(*n);
        }
    }
    out
}

pub(crate) fn read_pointer() -> anyhow::Result<Pointer> {
    let path = lab_dir().join("lab.json");
    let bytes = std::fs::read(&path).context("no lab is running (start one with `firedrill lab up`)")?;
    Ok(serde_json::from_slice(&bytes)?)
}

/// Calls the supervisor's control API.
pub async fn call(method: Method, path: &str, body: Option<serde_json::Value>) -> anyhow::Result<serde_json::Value> {
    let pointer = read_pointer()?;
    let found = Found::read()?;
    if found.live_supervisor().is_none() {
        let left = found.leftovers();
        let what = if left.is_empty() {
            "nothing of the lab runs any more; `firedrill lab down` removes its files".to_string()
        } else {
            format!("{} it started still run; `firedrill lab down` stops them", count(left.processes.len()))
        };
        bail!("the lab supervisor (pid {}) is dead; {what}", pointer.pid);
    }
    let url = format!("http://{}{path}", pointer.control);
    match Http::default().send(method, &url, None, body.map(|b| b.to_string())).await {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes)?),
        Err(HttpError::Status { body, status, .. }) => {
            let reason = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error"].as_str().map(String::from));
            Err(Refused { status, reason: reason.unwrap_or(body) }.into())
        }
        Err(e) => Err(e).context("the lab supervisor did not answer; is the lab still up? (`firedrill lab status`)"),
    }
}
