//! The supervisor's control API on the wire: requests and replies shared by the supervisor
//! (which serialises them) and the `firedrill` commands (which send and decode them).
//! Refusals are `firedrill_control::ErrorReply`, as on the lab's other APIs.

use std::net::SocketAddr;
use std::path::PathBuf;

use firedrill_drill::{Debrief, DrillStatus, Leaderboard, Phase, Verdict};
use serde::{Deserialize, Serialize};

/// `POST /drill`: which scenario to play, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StartRequest {
    /// `None`: a mystery drill, the scenario drawn from the catalog (among `from`, if given).
    #[serde(default)]
    pub scenario: Option<String>,
    /// Limits the draw to these scenarios.
    #[serde(default)]
    pub from: Vec<String>,
    /// The draw's seed (`None`: a fresh one).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Baseline traffic before the incident starts.
    #[serde(default = "default_warm_up")]
    pub warm_up_seconds: u64,
    /// Teams for all-teams-play; empty: the first correct answer wins.
    #[serde(default)]
    pub teams: Vec<String>,
}

fn default_warm_up() -> u64 {
    firedrill_drill::driver::DEFAULT_WARM_UP.as_secs()
}

/// `POST /drill/hints`: who takes the next hint (and pays for it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HintRequest {
    pub player: String,
}

/// `GET /lab`: where everything runs (no admin ports, no token).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabStatus {
    pub instances: Vec<InstanceView>,
    pub loadgen: SocketAddr,
    pub prometheus: Option<SocketAddr>,
    pub jaeger: Option<SocketAddr>,
    /// Whether that Jaeger serves its web UI (official releases do; module builds do not).
    #[serde(default)]
    pub jaeger_ui: bool,
    pub victorialogs: Option<SocketAddr>,
    pub logs: PathBuf,
    /// The game-day screen (`http://ADDR/`), on its own loopback port.
    #[serde(default)]
    pub screen: Option<SocketAddr>,
    /// The running drill's phase, if one runs.
    pub drill_phase: Option<Phase>,
    /// The running drill's neutral incident title (never the scenario's name).
    pub drill_incident: Option<String>,
}

/// One service replica, as players may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceView {
    pub service: String,
    pub replica: u32,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

/// `POST /shutdown`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShutdownReply {
    pub status: String,
}

/// `POST /drill/diagnoses`: the verdict and the drill as it stands after it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiagnoseReply {
    pub verdict: Verdict,
    pub status: DrillStatus,
}

/// `POST /drill/hints`: the hint and what it cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HintReply {
    pub text: String,
    pub cost: u32,
}

/// `GET /debrief` and `POST /drill/stop`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DebriefReply {
    pub debrief: Debrief,
    pub markdown: String,
}

/// `GET /leaderboard`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaderboardReply {
    pub leaderboard: Leaderboard,
    pub markdown: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_status_keeps_its_camel_case_keys_and_round_trips() {
        let status = LabStatus {
            instances: vec![InstanceView {
                service: "api".into(),
                replica: 0,
                addr: "127.0.0.1:8080".parse().unwrap(),
                log: "logs/api-0.log".into(),
            }],
            loadgen: "127.0.0.1:8090".parse().unwrap(),
            prometheus: None,
            jaeger: None,
            jaeger_ui: false,
            victorialogs: None,
            logs: "logs".into(),
            screen: Some("127.0.0.1:8099".parse().unwrap()),
            drill_phase: Some(Phase::WarmUp),
            drill_incident: Some("storefront latency".into()),
        };
        let value = serde_json::to_value(&status).unwrap();
        assert_eq!(value["drillPhase"], "warm-up", "{value}");
        assert_eq!(value["drillIncident"], "storefront latency", "{value}");
        assert_eq!(value["screen"], "127.0.0.1:8099", "{value}");
        assert!(value["instances"][0].get("admin").is_none(), "no admin port for players: {value}");
        assert_eq!(serde_json::from_value::<LabStatus>(value).unwrap(), status);
    }

    #[test]
    fn a_start_request_fills_its_defaults_and_refuses_unknown_fields() {
        let req: StartRequest = serde_json::from_str(r#"{"scenario":"slow-pricing"}"#).unwrap();
        assert_eq!((req.seed, req.warm_up_seconds, req.teams.len()), (None, 30, 0));
        assert!(serde_json::from_str::<StartRequest>(r#"{"scenario":"x","warmup":1}"#).is_err());
    }
}
