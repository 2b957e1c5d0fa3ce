//! The chaos agent's admin API, both ends: `PUT /chaos/faults` takes a [`FaultSet`] and every
//! fault route answers a [`FaultsReply`] (the set now in force); refusals are an
//! [`ErrorReply`](crate::ErrorReply), with the field path for a bad document.

use std::time::Duration;

use firedrill_fault::{Fault, FaultSet};
use http::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Client, ClientError};

/// The route of the active fault set.
pub const FAULTS_PATH: &str = "/chaos/faults";
/// The agent's own metrics (injections, active faults).
pub const METRICS_PATH: &str = "/chaos/metrics";

/// What an agent carries now: the answer to `GET`, `PUT` and `DELETE /chaos/faults`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultsReply {
    /// The active set's generation (`None`: the agent never got a set, or it was cleared).
    pub generation: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_seconds: Option<u32>,
    /// Seconds until the lease runs out unless renewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_seconds: Option<f64>,
    #[serde(default)]
    pub faults: Vec<Fault>,
}

impl FaultsReply {
    /// The reply of an agent without an active set.
    pub fn none() -> Self {
        FaultsReply { generation: None, lease_seconds: None, remaining_seconds: None, faults: Vec::new() }
    }
}

/// A client for many agents, each addressed by its admin `host:port`.
#[derive(Clone, Debug)]
pub struct AdminClient {
    client: Client,
}

impl AdminClient {
    /// Every call is bounded by `timeout`.
    pub fn new(timeout: Duration) -> Self {
        AdminClient { client: Client::new(timeout) }
    }

    /// Delivers (or, with the same generation, renews) `set` at `admin` (`host:port`).
    pub async fn put(&self, admin: &str, token: &str, set: &FaultSet) -> Result<FaultsReply, ClientError> {
        self.client.call(Method::PUT, &url(admin), Some(token), Some(set)).await
    }

    /// Removes every fault at `admin`.
    pub async fn clear(&self, admin: &str, token: &str) -> Result<FaultsReply, ClientError> {
        self.client.call::<(), _>(Method::DELETE, &url(admin), Some(token), None).await
    }

    /// The set `admin` carries now.
    pub async fn get(&self, admin: &str, token: &str) -> Result<FaultsReply, ClientError> {
        self.client.call::<(), _>(Method::GET, &url(admin), Some(token), None).await
    }
}

fn url(admin: &str) -> String {
    format!("http://{admin}{FAULTS_PATH}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_agent_answers_null_generation_and_no_faults() {
        let text = serde_json::to_string(&FaultsReply::none()).unwrap();
        assert_eq!(text, r#"{"generation":null,"faults":[]}"#);
        let back: FaultsReply = serde_json::from_str(&text).unwrap();
        assert_eq!(back, FaultsReply::none());
    }

    #[test]
    fn an_active_set_shows_its_lease() {
        let reply: FaultsReply = serde_json::from_str(
            r#"{"generation":3,"leaseSeconds":60,"remainingSeconds":59.5,"faults":[{"kind":"error","status":503}]}"#,
        )
        .unwrap();
        assert_eq!((reply.generation, reply.lease_seconds, reply.faults.len()), (Some(3), Some(60), 1));
    }
}
