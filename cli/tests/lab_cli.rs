//! Black-box tests of the `firedrill` binary with the real service binaries on loopback:
//! scenario validation errors, and whole mystery drills (the scenario drawn by the engine)
//! through the background lab and through `play`, in which players see the incident title
//! and never the scenario's name or title before the debrief.
//!
//! The service binaries must sit next to `firedrill` (`cargo test --workspace` and
//! `make test` build them); `FIREDRILL_BIN_DIR` overrides.

mod common;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{bin_dir, catalog, eventually, firedrill, run, stderr, stdout};

/// What `storefront-errors-after-rollout` is called in the catalog and its title (players see
/// neither before the debrief), and what the page says (the symptom).
const NAME: &str = "storefront-errors-after-rollout";
const TITLE: &str = "Storefront errors after a config rollout";
const INCIDENT: &str = "storefront errors";

/// Asserts that `what` a player saw names neither the scenario nor its title (a view that
/// need not show the incident, such as a verdict or a hint).
fn assert_unnamed(what: &str, text: &str) {
    for secret in [NAME, TITLE] {
        assert!(!text.contains(secret), "{what} gives the scenario away (`{secret}`): {text}");
    }
}

/// Asserts that `what` a player saw names the incident and neither the scenario nor its title.
fn assert_mystery(what: &str, text: &str) {
    assert!(text.contains(INCIDENT), "{what} lacks the incident title: {text}");
    for secret in [NAME, TITLE] {
        assert!(!text.contains(secret), "{what} gives the scenario away (`{secret}`): {text}");
    }
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "firedrill failed: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

/// `GET path` on `addr` with a bare HTTP/1.0 request (the test needs no client library).
fn get_json(addr: &str, path: &str) -> serde_json::Value {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let body = reply.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {reply}"))
}

#[test]
fn validate_points_at_the_broken_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(catalog().join("storefront-errors-after-rollout.yaml")).unwrap();
    let broken = good.replacen("kind: timeout", "kind: timeoutt", 1);
    let line = broken.lines().position(|l| l.contains("timeoutt")).unwrap() + 1;
    let file = dir.path().join("broken.yaml");
    std::fs::write(&file, broken).unwrap();
    let out = run(dir.path(), &["scenarios", "validate", file.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a broken file must fail validation");
    assert!(err.contains(&format!("broken.yaml:{line}:")), "error should point at line {line}: {err}");
    assert!(err.contains("timeoutt"), "{err}");
    let ok = run(dir.path(), &["scenarios", "validate"]);
    assert!(ok.status.success(), "the shipped catalog validates: {}", String::from_utf8_lossy(&ok.stderr));
}

#[test]
fn a_drill_runs_end_to_end_through_the_background_lab() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let up = run(cwd, &["lab", "up", "--rate", "20"]);
    assert!(up.status.success(), "lab up: {}", String::from_utf8_lossy(&up.stderr));
    let lab = json(&run(cwd, &["lab", "status", "--json"]));
    let addrs: Vec<String> =
        lab["instances"].as_array().unwrap().iter().map(|i| i["addr"].as_str().unwrap().to_string()).collect();
    assert!(addrs.len() >= 6, "every service runs: {lab}");

    let unknown = run(cwd, &["drill", "start", "--from", "storefront-errors-after-rollout,storefront-slow-flat-erors"]);
    assert_eq!(unknown.status.code(), Some(64), "an unknown --from name is bad input: {}", stderr(&unknown));
    assert!(
        stderr(&unknown).contains("`storefront-slow-flat-erors`")
            && stderr(&unknown).contains("storefront-slow-flat-errors, storefront-slower-with-traffic")
    );

    // Seed 11 draws storefront-errors-after-rollout from these three, and its `inventory-warehouse-timeout`.
    let from = "storefront-slow-flat-errors,storefront-errors-after-rollout,storefront-slower-with-traffic";
    let started = run(cwd, &["drill", "start", "--from", from, "--seed", "11", "--warm-up", "1"]);
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
    assert_mystery("drill start", &(stdout(&started) + &stderr(&started)));
    let status = eventually(Duration::from_secs(20), || {
        let s = json(&run(cwd, &["drill", "status", "--json"]));
        (s["phase"] == "active").then_some(s)
    });
    assert_eq!(status["incident"], INCIDENT);
    assert_mystery("drill status --json", &status.to_string());
    assert_mystery("drill status", &stdout(&run(cwd, &["drill", "status"])));
    assert_mystery("lab status", &stdout(&run(cwd, &["lab", "status"])));
    assert_mystery("lab status --json", &json(&run(cwd, &["lab", "status", "--json"])).to_string());
    // The scenario's traffic, rate *and* mix: loadgen echoes the mix it was given, so the
    // scenario's `product=4,checkout=1` tells it apart from the lab's own `product=8,checkout=2`
    // (the same ratio here, by chance), and its 60 rps from the lab's 20.
    let loadgen = lab["loadgen"].as_str().unwrap();
    let rate = eventually(Duration::from_secs(10), || {
        let r = get_json(loadgen, "/rate");
        (r["mix"] == "product=4,checkout=1").then_some(r)
    });
    assert_ne!(rate["rps"], 20.0, "still the lab's rate: {rate}");
    let text = status.to_string();
    for secret in ["inventory-warehouse-timeout", "culprit", "answer", "seed"] {
        assert!(!text.contains(secret), "the player view leaks `{secret}`: {text}");
    }
    let wrong = run(cwd, &["diagnose", "--service", "warehouse", "--fault", "latency", "--player", "ada"]);
    assert!(stdout(&wrong).contains("WRONG"), "{}", stdout(&wrong));
    assert_unnamed("diagnose (wrong)", &(stdout(&wrong) + &stderr(&wrong)));
    let hint = run(cwd, &["hint", "--player", "ada"]);
    assert_unnamed("hint", &(stdout(&hint) + &stderr(&hint)));
    assert_unnamed("leaderboard during the drill", &stdout(&run(cwd, &["leaderboard"])));
    let partial = run(cwd, &["diagnose", "--service", "inventory", "--fault", "latency", "--player", "ada"]);
    assert_unnamed("diagnose (partial)", &(stdout(&partial) + &stderr(&partial)));
    assert!(stdout(&partial).contains("PARTIAL"), "{}", stdout(&partial));
    let right =
        run(cwd, &["diagnose", "--service", "inventory", "--fault", "timeout-misconfiguration", "--player", "ada"]);
    assert!(stdout(&right).contains("CORRECT"), "{}", stdout(&right));

    let debrief = eventually(Duration::from_secs(20), || {
        let out = run(cwd, &["debrief", "--json"]);
        out.status.success().then(|| json(&out))
    });
    assert_eq!(debrief["culprit"], "inventory-warehouse-timeout");
    assert_eq!((&debrief["scenario"], &debrief["title"]), (&NAME.into(), &TITLE.into()), "the debrief reveals it");
    assert_eq!(debrief["seed"], 11);
    let markdown = stdout(&run(cwd, &["debrief"]));
    assert!(markdown.contains(&format!("{TITLE} ({NAME})")), "{markdown}");
    assert_eq!(debrief["winner"], "ada");
    let board = stdout(&run(cwd, &["leaderboard"]));
    assert!(board.contains("ada"), "{board}");

    let down = run(cwd, &["lab", "down"]);
    assert!(down.status.success(), "{}", String::from_utf8_lossy(&down.stderr));
    for addr in &addrs {
        assert!(std::net::TcpStream::connect(addr).is_err(), "{addr} still answers after lab down");
    }
    assert!(!cwd.join(".firedrill").join("lab").exists(), "lab down leaves its files behind");
}

#[test]
fn play_runs_a_whole_drill_from_a_piped_prompt() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(firedrill())
        .current_dir(dir.path())
        .env("FIREDRILL_BIN_DIR", bin_dir())
        .env("FIREDRILL_SCENARIOS", catalog())
        .env("NO_COLOR", "1")
        // Seed 11 draws storefront-errors-after-rollout from these two, and its `inventory-warehouse-timeout`.
        .args([
            "play",
            "--from",
            "storefront-slower-with-traffic,storefront-errors-after-rollout",
            "--seed",
            "11",
            "--warm-up",
            "1",
            "--player",
            "bo",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running firedrill play");
    // The prompt reads lines as they come; the drill is active after the 1 s warm-up.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"classes\ndiagnose warehouse errors\ndiagnose inventory timeout-misconfiguration looked at client outcomes\n").unwrap();
    let started = Instant::now();
    let out = loop {
        if let Some(_status) = child.try_wait().unwrap() {
            break child.wait_with_output().unwrap();
        }
        assert!(started.elapsed() < Duration::from_secs(90), "play did not finish");
        std::thread::sleep(Duration::from_millis(200));
    };
    drop(stdin);
    let text = stdout(&out);
    assert!(out.status.success(), "play failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("timeout-misconfiguration"), "the classes are listed: {text}");
    assert!(text.contains("game-day screen: http://127.0.0.1:"), "play prints the screen's URL: {text}");
    assert!(text.contains("WRONG") && text.contains("CORRECT"), "{text}");
    let (before, debrief) = text.split_once("# Debrief").unwrap_or_else(|| panic!("no debrief: {text}"));
    assert_mystery("play before the debrief", &format!("{before}{}", stderr(&out)));
    assert!(debrief.contains(&format!("{TITLE} ({NAME})")), "the debrief reveals the scenario: {debrief}");
    assert!(debrief.contains("inventory-warehouse-timeout"), "{debrief}");
    assert!(debrief.contains("looked at client outcomes"), "the note reaches the debrief: {debrief}");
    let replay =
        "replay with `firedrill play --from storefront-slower-with-traffic,storefront-errors-after-rollout --seed 11`";
    assert!(debrief.contains(replay), "the seed is printed after the debrief only: {debrief}");
    assert!(!before.contains("--seed 11"), "{before}");
}

#[test]
fn play_refuses_unknown_scenarios_and_lists_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["play", "--from", "storefront-slow-flat-errors,no-such"][..], &["play", "no-such"]] {
        let out = run(dir.path(), args);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("no scenario `no-such`")
                && err.contains("product-pages-partly-failing, product-pages-slow-teams-paged"),
            "{err}"
        );
    }
    assert!(!dir.path().join(".firedrill").exists(), "nothing starts for bad input");
    let both = run(dir.path(), &["play", "storefront-slow-flat-errors", "--from", "storefront-slow-flat-errors"]);
    assert_eq!(both.status.code(), Some(64), "a name and --from conflict: {}", stderr(&both));
}

/// `firedrill signals` on the background lab's backends, phase by phase, with the faults
/// driven by a drill (as `make verify-kind` drives them with a Drill object): the baseline
/// holds, the active phase sees every signal (PromQL and LogsQL), an early recovery check
/// fails while the faults last, and the real one passes after the drill stops.
#[test]
fn signals_follow_a_drill_through_baseline_active_and_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let up = run(cwd, &["lab", "up", "--rate", "60"]);
    assert!(up.status.success(), "lab up: {}", String::from_utf8_lossy(&up.stderr));
    let lab = json(&run(cwd, &["lab", "status", "--json"]));
    let addr = |key: &str| {
        lab[key].as_str().unwrap_or_else(|| panic!("no {key} in the lab (make backends builds it): {lab}")).to_string()
    };
    let (prometheus, jaeger, logs) = (addr("prometheus"), addr("jaeger"), addr("victorialogs"));
    let culprits = stdout(&run(cwd, &["scenarios", "culprits", "storefront-errors-after-rollout"]));
    let seed = culprits.lines().find_map(|l| l.strip_prefix("inventory-warehouse-timeout ")).expect("the culprit");
    let signals = |phase: &str, extra: &[&str]| {
        let mut args = vec!["signals", "storefront-errors-after-rollout", "--culprit", "inventory-warehouse-timeout"];
        args.extend(["--phase", phase, "--prometheus", &prometheus, "--jaeger", &jaeger, "--victorialogs", &logs]);
        args.extend(extra);
        run(cwd, &args)
    };

    let baseline = signals("baseline", &["--json"]);
    let found = json(&baseline);
    assert!(found["failures"].as_array().unwrap().is_empty(), "{found}");

    let started =
        run(cwd, &["drill", "start", "storefront-errors-after-rollout", "--seed", seed.trim(), "--warm-up", "1"]);
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
    eventually(Duration::from_secs(20), || {
        (json(&run(cwd, &["drill", "status", "--json"]))["phase"] == "active").then_some(())
    });
    let active = signals("active", &[]);
    let text = String::from_utf8_lossy(&active.stderr).into_owned();
    assert!(active.status.success(), "every signal holds within its deadline:\n{text}");
    assert!(text.contains("`inventory-logs-warehouse-timeouts` held after"), "the log signal is checked:\n{text}");

    let early = signals("recovered", &["--within", "2"]);
    assert_eq!(early.status.code(), Some(1), "faults still active, yet recovered passed");
    assert!(String::from_utf8_lossy(&early.stderr).contains("still showing after revert"));

    let stop = run(cwd, &["drill", "stop"]);
    assert!(stop.status.success(), "{}", String::from_utf8_lossy(&stop.stderr));
    let recovered = signals("recovered", &["--within", "120"]);
    assert!(recovered.status.success(), "{}", String::from_utf8_lossy(&recovered.stderr));
    assert!(run(cwd, &["lab", "down"]).status.success());
}
