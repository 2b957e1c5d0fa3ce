//! The operator watches a running drill's signals on the lab's backends, and the debrief tells
//! when each first showed: a real VictoriaLogs on loopback, one LogsQL signal that holds once a
//! marker line is stored, one that never holds.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use firedrill_backends::Backends;
use firedrill_backends::http::Http;
use firedrill_drill::Phase;
use serde_json::json;

use super::drills::{
    SCENARIO, answer, answer_service, create_drill, debrief, diagnose, install_scenario, scenario_source,
    start_services, truth_secret, until_phase,
};
use crate::support::lab::{Lab, eventually};
use crate::support::tools::tool;

const WAIT: Duration = Duration::from_secs(30);
const MARKER: &str = "fd-signal-marker";

/// product-pages-slow-teams-paged with two more scenario-wide LogsQL signals.
fn scenario_with_log_signals() -> String {
    let source = scenario_source(SCENARIO);
    let signal = |name: &str, text: &str| {
        format!(
            "  - name: {name}\n    query: {{ logsql: '_time:5m \"{text}\" | stats count()' }}\n    op: '>'\n    threshold: 0\n    withinSeconds: 60\n"
        )
    };
    let added = signal("marker-logged", MARKER) + &signal("never-logged", "fd-never-logged");
    assert!(source.contains("\nsignals:\n"), "the scenario's signals section moved; update this test");
    source.replacen("\nsignals:\n", &format!("\nsignals:\n{added}"), 1)
}

/// VictoriaLogs from the tools cache, on a loopback port, with its data in a temporary directory.
struct VictoriaLogs {
    child: Child,
    addr: std::net::SocketAddr,
    data: std::path::PathBuf,
}

impl VictoriaLogs {
    async fn start(binary: &std::path::Path) -> VictoriaLogs {
        let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let data = std::env::temp_dir().join(format!("firedrill-operator-signals-{}", std::process::id()));
        let child = Command::new(binary)
            .args([format!("-httpListenAddr={addr}"), format!("-storageDataPath={}", data.display())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("VictoriaLogs starts");
        let vl = VictoriaLogs { child, addr, data };
        let http = Http::default();
        eventually("VictoriaLogs answers", WAIT, || async { http.get(&format!("http://{addr}/health")).await.ok() })
            .await;
        vl
    }

    /// Stores one line (JSON-lines ingestion; the time is the ingestion time).
    async fn log(&self, message: &str) {
        let url = format!("http://{}/insert/jsonline", self.addr);
        let line = json!({ "_msg": message, "service.name": "warehouse" }).to_string();
        Http::default().send(http::Method::POST, &url, None, Some(line)).await.expect("VictoriaLogs stores a line");
    }
}

impl Drop for VictoriaLogs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

#[tokio::test]
async fn the_debrief_shows_when_each_signal_first_showed() {
    let Some(binary) = tool("victoria-logs", "tools/victorialogs/versions.env", "VICTORIALOGS_VERSION") else {
        eprintln!("SKIPPED: no VictoriaLogs in the tools cache (tools/victorialogs/ensure.sh builds it)");
        return;
    };
    let victorialogs = VictoriaLogs::start(&binary).await;
    let mut lab = Lab::new(true).await;
    install_scenario(&lab, SCENARIO, &scenario_with_log_signals()).await;
    let _services = start_services(&lab).await;
    lab.backends = Backends::new(None, None, Some(victorialogs.addr));
    lab.start_operator().await;

    let created = create_drill(&lab, "game-day").await;
    until_phase(&lab, "game-day", Phase::Active).await;
    victorialogs.log(MARKER).await;
    eventually("the operator records the marker signal", WAIT, || async {
        let truth: serde_json::Value =
            serde_json::from_slice(&truth_secret(&lab, &created).await["truth.json"].0).unwrap();
        truth["drill"]["signalsSeen"].get("marker-logged").map(|_| ())
    })
    .await;

    diagnose(
        &lab.player().await,
        &lab.ns,
        "right",
        &answer_service(&lab, &created).await,
        &answer(&lab, &created).await,
    )
    .await;
    let debrief = debrief(&lab, &created).await;
    assert!(debrief.contains("signal `marker-logged` first showed"), "{debrief}");
    assert!(debrief.contains("| never | signal `never-logged` did not show |"), "{debrief}");
    assert!(!debrief.contains("not watched"), "{debrief}");
    lab.stop_operator().await;
}
