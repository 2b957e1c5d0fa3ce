//! The game-day screen in a real browser: headless Chromium (Debian's `chromium`) opens the
//! page the background lab's supervisor serves, during a real drill on the local lab, and is
//! driven over the DevTools protocol. The clock must advance, a diagnosis submitted with the
//! CLI must show with its verdict within seconds, the truth must be absent from the DOM *and
//! from every response the browser received* until the revert and present after it, and the
//! debrief's plot must carry its markers. A screenshot of each phase goes to `target/screen/` (`FIREDRILL_SCREENSHOTS=docs/screen` for the docs).
//!
//! Skips (loudly) only when Chromium is not installed; `.ci/run` installs it.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::cdp::{Browser, Page, chromium};
use common::{run, stderr, stdout};

/// Seed 11 draws `storefront-errors-after-rollout` and its culprit `inventory-warehouse-timeout`
/// (as in lab_cli.rs); these name the truth, and none may reach the page before the revert.
const FROM: &str = "storefront-slow-flat-errors,storefront-errors-after-rollout,storefront-slower-with-traffic";
const SECRETS: [&str; 5] = [
    "storefront-errors-after-rollout",
    "Storefront errors after a config rollout",
    "inventory-warehouse-timeout",
    "timeout-misconfiguration",
    "per-attempt timeout to warehouse was set to 3 ms",
];
const INCIDENT: &str = "storefront errors";

/// The background lab in a scratch directory; `lab down` when dropped, pass or fail.
struct Lab(tempfile::TempDir);

impl Lab {
    fn up() -> Lab {
        let lab = Lab(tempfile::tempdir().unwrap());
        let up = run(lab.cwd(), &["lab", "up", "--rate", "20"]);
        assert!(up.status.success(), "lab up: {}", stderr(&up));
        lab
    }

    fn cwd(&self) -> &Path {
        self.0.path()
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = run(self.cwd(), args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", stdout(&out)))
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = run(self.cwd(), &["lab", "down"]);
    }
}

/// Evaluates `expression` until it yields a value `ok` accepts, for at most `within` (`null`
/// while it throws: the page may still be loading).
async fn until(
    browser: &mut Browser,
    page: &Page,
    within: Duration,
    expression: &str,
    ok: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let end = tokio::time::Instant::now() + within;
    let guarded = format!("(() => {{ try {{ return {expression}; }} catch (e) {{ return null; }} }})()");
    loop {
        let value = browser.eval(page, &guarded).await;
        if ok(&value) {
            return value;
        }
        assert!(tokio::time::Instant::now() < end, "`{expression}` still {value} after {within:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn text(v: &serde_json::Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// An instant query's value on the lab's Prometheus (0 without data), over a bare HTTP/1.0
/// request (the test needs no client library for one GET).
fn prometheus_value(addr: &str, promql: &str) -> f64 {
    use std::io::{Read, Write};
    let q: String = form_urlencoded::byte_serialize(promql.as_bytes()).collect();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "GET /api/v1/query?query={q} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let body: serde_json::Value =
        serde_json::from_str(reply.split("\r\n\r\n").nth(1).unwrap_or("{}")).unwrap_or_default();
    body["data"]["result"][0]["value"][1].as_str().and_then(|v| v.parse().ok()).unwrap_or(0.0)
}

/// Saves a full-page screenshot as NAME.png: in `target/screen/`, or in the folder
/// `FIREDRILL_SCREENSHOTS` names (`FIREDRILL_SCREENSHOTS=docs/screen` refreshes the ones
/// the docs show), so a test run leaves the working tree as it found it.
async fn screenshot(browser: &mut Browser, page: &Page, name: &str) -> PathBuf {
    let height = browser.eval(page, "document.documentElement.scrollHeight").await.as_u64().unwrap_or(900);
    browser.resize(page, 1600, height.clamp(900, 4000) as u32).await;
    let png = browser.screenshot(page).await;
    browser.resize(page, 1600, 900).await;
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = match std::env::var_os("FIREDRILL_SCREENSHOTS") {
        Some(dir) => root.join(dir),
        None => root.join("target/screen"),
    };
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_screen_follows_a_drill_in_a_real_browser_and_keeps_the_truth_until_the_revert() {
    let Some(binary) = chromium() else {
        eprintln!(
            "\n!!! SKIPPED: chromium is not installed (apt-get install chromium, or FIREDRILL_CHROMIUM); .ci/run installs it !!!\n"
        );
        return;
    };
    let lab = Lab::up();
    let status = lab.json(&["lab", "status", "--json"]);
    let url = format!("http://{}/", text(&status["screen"]));
    assert!(url.starts_with("http://127.0.0.1:"), "the screen is on loopback: {status}");
    let up_text = stdout(&run(lab.cwd(), &["lab", "status"]));
    assert!(up_text.contains(&format!("game-day screen: {url}")), "{up_text}");

    let mut browser = Browser::launch(&binary).await;
    let page = browser.page(1600, 900).await;
    browser.navigate(&page, &url).await;
    until(&mut browser, &page, Duration::from_secs(10), PHASE, |v| text(v) == "idle").await;
    wait_for_baseline(text(&status["prometheus"]));

    let drill_png = during_the_drill(&lab, &mut browser, &page).await;
    nothing_of_the_truth(&mut browser, &page).await;
    let debrief_png = after_the_revert(&lab, &mut browser, &page).await;
    eprintln!("screenshots: {} {}", drill_png.display(), debrief_png.display());
}

const PHASE: &str = "document.getElementById('phase').textContent";

/// Waits until Prometheus has 20 s of loadgen, so the plot shows the drill against the lab's
/// normal.
fn wait_for_baseline(prometheus: &str) {
    let end = Instant::now() + Duration::from_secs(40);
    while prometheus_value(prometheus, "count_over_time(up{job=\"loadgen\"}[1m])") < 20.0 {
        assert!(Instant::now() < end, "Prometheus has not scraped loadgen for 20 s after 40 s");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The page open before the drill follows it: the incident title, a clock that moves on its
/// own between polls, a diagnosis from the CLI within seconds with its verdict. Returns the
/// screenshot taken 20 s in.
async fn during_the_drill(lab: &Lab, browser: &mut Browser, page: &Page) -> PathBuf {
    let started = run(lab.cwd(), &["drill", "start", "--from", FROM, "--seed", "11", "--warm-up", "1"]);
    assert!(started.status.success(), "{}", stderr(&started));
    until(browser, page, Duration::from_secs(20), PHASE, |v| text(v) == "active").await;
    let incident = browser.eval(page, "document.getElementById('incident').textContent").await;
    assert_eq!(text(&incident), INCIDENT);
    let clock = "document.getElementById('clock').textContent";
    let first = browser.eval(page, clock).await;
    let later = until(browser, page, Duration::from_secs(5), clock, |v| v != &first).await;
    let secs = |v: &serde_json::Value| {
        let (m, s) = text(v).split_once(':').unwrap_or_else(|| panic!("not m:ss: {v}"));
        m.parse::<u64>().unwrap() * 60 + s.parse::<u64>().unwrap()
    };
    assert!(secs(&later) < secs(&first), "a countdown: {first} then {later}");

    let wrong = run(lab.cwd(), &["diagnose", "--service", "warehouse", "--fault", "latency", "--player", "ada"]);
    assert!(stdout(&wrong).contains("WRONG"), "{}", stdout(&wrong));
    let rows = "Array.from(document.querySelectorAll('#diagnoses tbody tr')).map(r => r.textContent + '|' + r.lastChild.className)";
    let shown =
        until(browser, page, Duration::from_secs(5), rows, |v| v.as_array().is_some_and(|a| !a.is_empty())).await;
    let row = text(&shown[0]);
    assert!(
        row.contains("ada") && row.contains("warehouse / latency") && row.contains("wrong|verdict verdict-wrong"),
        "{row}"
    );

    // Let the drill run a little, so the plot has an incident to show.
    let elapsed = "document.getElementById('elapsed').textContent";
    until(browser, page, Duration::from_secs(40), elapsed, |v| text(v).starts_with("0:2")).await;
    screenshot(browser, page, "drill").await
}

/// Until the revert: nothing of the truth in the DOM or in any response the browser received.
async fn nothing_of_the_truth(browser: &mut Browser, page: &Page) {
    let html = browser.eval(page, "document.documentElement.outerHTML").await;
    let responses = browser.responses(page).await;
    assert!(responses.iter().filter(|(u, _)| u.ends_with("/api/state")).count() >= 5, "the page polls: {responses:?}");
    for secret in SECRETS {
        assert!(!text(&html).contains(secret), "the DOM shows `{secret}` before the revert");
        for (from, body) in &responses {
            assert!(!body.contains(secret), "{from} sent `{secret}` before the revert: {body}");
        }
    }
}

/// The revert: the debrief on the same page, with the truth, the plot and its markers.
/// Returns the screenshot.
async fn after_the_revert(lab: &Lab, browser: &mut Browser, page: &Page) -> PathBuf {
    let stopped = run(lab.cwd(), &["drill", "stop"]);
    assert!(stopped.status.success(), "{}", stderr(&stopped));
    let debrief = lab.json(&["debrief", "--json"]);
    let shown = "document.getElementById('debrief').hidden ? '' : document.getElementById('debrief').textContent";
    let truth = until(browser, page, Duration::from_secs(5), shown, |v| !text(v).is_empty()).await;
    for secret in SECRETS {
        assert!(text(&truth).contains(secret), "the debrief lacks `{secret}`: {truth}");
    }
    let apart = browser.eval(page, "[...document.querySelectorAll('#apart li')].map(li => li.textContent)").await;
    let apart = apart.as_array().cloned().unwrap_or_default();
    assert_eq!(apart.len(), 1, "the wrong answer is told apart from the truth: {apart:?}");
    assert!(text(&apart[0]).starts_with("ada said warehouse / latency (wrong): "), "{apart:?}");
    let markers = "['injected','signal','hint','diagnosis','reverted'].map(k => document.querySelectorAll('#plot svg g.marker.marker-' + k).length)";
    let counts = until(browser, page, Duration::from_secs(5), markers, |v| v[0] == 1).await;
    let signals = debrief["timeline"].as_array().unwrap().iter().filter(|e| e["event"]["kind"] == "signal").count();
    let expected = serde_json::json!([1, signals, 0, 1, 1]);
    assert_eq!(counts, expected, "markers: injected, signals, hints, diagnoses, reverted");
    let lines = browser.eval(page, "document.querySelectorAll('#plot svg polyline.series').length").await;
    assert_eq!(lines, 2, "edge and users' P95 from Prometheus");
    let link = browser.eval(page, "document.querySelector('#queries a').href").await;
    assert!(text(&link).contains("/graph?g0.expr="), "a Prometheus link: {link}");
    let after = browser.responses(page).await;
    assert!(after.iter().any(|(_, body)| body.contains("inventory-warehouse-timeout")), "the state now tells it");
    screenshot(browser, page, "debrief").await
}
