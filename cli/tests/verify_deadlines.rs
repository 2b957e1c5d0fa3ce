//! `firedrill verify` judges every signal by its own deadline, on a real lab (service
//! binaries, Prometheus): a signal that shows, but only after its `withinSeconds`, fails the
//! scenario even though a longer deadline of another signal was still running.
//!
//! Needs Prometheus (`apt-get install prometheus`); the test says so and fails without it.

use std::path::{Path, PathBuf};
use std::process::Command;

use firedrill_drill::{Draw, Scenario};

const LATE: &str = "inventory-retries-within-a-second";

/// A culprit signal that shows within seconds of the hang, but not within one: the first
/// reading is taken as the faults go in (no retry yet), the next one 2 s later.
const IMPATIENT: &str = r#"    signals:
      - name: inventory-retries-within-a-second
        query:
          promql: sum(rate(firedrill_client_retries_total{job="inventory", dependency="warehouse"}[30s]))
        op: ">"
        threshold: 0.5
        withinSeconds: 1
"#;

fn firedrill() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_firedrill"))
}

/// storefront-slow-flat-errors with one more signal for the stock-query-hang culprit, allowed 1 s, while the
/// culprit's other signals keep their 60 s.
fn impatient_catalog(dir: &Path) -> Scenario {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/storefront-slow-flat-errors.yaml");
    let text = std::fs::read_to_string(source).unwrap();
    let culprit =
        text.find("- id: stock-query-hang").expect("storefront-slow-flat-errors lost the culprit this test uses");
    let at = culprit + text[culprit..].find("    signals:\n").expect("the culprit has signals");
    let text = format!("{}{IMPATIENT}{}", &text[..at], &text[at + "    signals:\n".len()..]);
    std::fs::write(dir.join("storefront-slow-flat-errors.yaml"), &text).unwrap();
    Scenario::from_yaml("storefront-slow-flat-errors.yaml", &text).unwrap()
}

#[test]
fn a_signal_that_shows_after_its_own_deadline_fails_verify() {
    assert!(
        Command::new("prometheus").arg("--version").output().is_ok_and(|o| o.status.success()),
        "this test needs Prometheus on PATH (apt-get install prometheus)"
    );
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("scenarios");
    std::fs::create_dir(&catalog).unwrap();
    let scenario = impatient_catalog(&catalog);
    let seed = Draw::seed_for(&scenario, "stock-query-hang").unwrap().to_string();
    let bin_dir = firedrill().parent().unwrap().to_path_buf();
    let out = Command::new(firedrill())
        .current_dir(dir.path())
        .env("FIREDRILL_BIN_DIR", &bin_dir)
        .env("FIREDRILL_SCENARIOS", &catalog)
        .env("NO_COLOR", "1")
        .args(["verify", "storefront-slow-flat-errors", "--seed", &seed, "--warm-up", "20", "--json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "verify passed a late signal:\n{stdout}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let failures: Vec<String> =
        report[0]["failures"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_string()).collect();
    let late =
        failures.iter().find(|f| f.contains(LATE)).unwrap_or_else(|| panic!("no failure for {LATE}: {failures:?}"));
    assert!(late.contains("held only after") && late.contains("past its deadline of 1 s"), "{late}");
    let held: u64 = late.split("held only after ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(held >= 2, "{late}");
    assert!(!report[0]["notes"].as_array().unwrap().is_empty(), "the other signals are reported too");
}
