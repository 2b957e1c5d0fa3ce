//! The chart runs the real binaries with flags and environment variables they accept: each
//! container's `command` + `args` followed by `--help` must parse (clap stops at `--help`
//! only after every flag before it was recognised and its value parsed; a bad flag exits 64),
//! and every FIREDRILL_/OTEL_/service-URL variable the chart sets is one the binary documents.
//! The binaries come from the same target directory as this test (`make unit` builds them
//! with `cargo build --workspace --bins` first).

use std::path::PathBuf;
use std::process::Command;

use crate::render::{documents, of_kind, template};

fn binary(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_BIN_EXE_firedrill-operator")).parent().unwrap().to_path_buf();
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is missing: build the workspace's binaries first (cargo build --workspace --bins)",
        path.display()
    );
    path
}

#[test]
fn every_container_command_args_and_env_are_accepted_by_its_binary() {
    let docs = documents(&template("firedrill-system", &None, &[]));
    let mut checked = 0;
    for d in of_kind(&docs, "Deployment") {
        for c in d["spec"]["template"]["spec"]["containers"].as_sequence().unwrap() {
            let Some(name) = c["command"][0].as_str().and_then(|p| p.strip_prefix("/usr/local/bin/")) else { continue };
            let args: Vec<String> =
                c["args"].as_sequence().into_iter().flatten().map(|a| a.as_str().unwrap().to_string()).collect();
            let out = Command::new(binary(name)).args(&args).arg("--help").output().unwrap();
            let help = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{name} {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
            for env in c["env"].as_sequence().into_iter().flatten() {
                let var = env["name"].as_str().unwrap();
                let ours =
                    ["FIREDRILL_", "OTEL_EXPORTER", "OTEL_TRACES", "OTEL_LOGS"].iter().any(|p| var.starts_with(p));
                if ours {
                    assert!(help.contains(&format!("[env: {var}")), "{name} does not read {var}");
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 8, "six services, loadgen and the operator: {checked}");
}
