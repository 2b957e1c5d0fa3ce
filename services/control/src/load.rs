//! loadgen's control API, both ends: `PUT /rate` takes a [`LoadRequest`]; `GET`, `PUT` and
//! `DELETE /rate` answer a [`LoadReply`], what loadgen sends from now on.

use std::time::Duration;

use http::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Client, ClientError};

/// The route of loadgen's rate and mix.
pub const RATE_PATH: &str = "/rate";

/// Largest rate loadgen accepts, so a typo cannot flood the machine.
pub const MAX_RPS: f64 = 20_000.0;

/// A new rate, and optionally a new endpoint mix (`product=9,checkout=1`); a mix left out
/// stays as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadRequest {
    pub rps: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mix: Option<String>,
}

/// What loadgen is sending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadReply {
    pub rps: f64,
    pub mix: String,
}

/// A client for loadgen's control API at a base URL like `http://127.0.0.1:8090`.
#[derive(Clone, Debug)]
pub struct LoadgenClient {
    client: Client,
}

impl LoadgenClient {
    /// Every call is bounded by `timeout`.
    pub fn new(timeout: Duration) -> Self {
        LoadgenClient { client: Client::new(timeout) }
    }

    /// What loadgen at `base` sends now.
    pub async fn get(&self, base: &str) -> Result<LoadReply, ClientError> {
        self.client.call::<(), _>(Method::GET, &url(base), None, None).await
    }

    /// Sets the rate (and the mix, if given) from the next arrival on.
    pub async fn set(&self, base: &str, load: &LoadRequest) -> Result<LoadReply, ClientError> {
        self.client.call(Method::PUT, &url(base), None, Some(load)).await
    }

    /// Back to the rate and mix loadgen was started with.
    pub async fn reset(&self, base: &str) -> Result<LoadReply, ClientError> {
        self.client.call::<(), _>(Method::DELETE, &url(base), None, None).await
    }
}

fn url(base: &str) -> String {
    format!("{}{RATE_PATH}", base.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mix_left_out_is_not_sent() {
        let text = serde_json::to_string(&LoadRequest { rps: 40.0, mix: None }).unwrap();
        assert_eq!(text, r#"{"rps":40.0}"#);
        let refused = serde_json::from_str::<LoadRequest>(r#"{"rps":1,"rate":2}"#).unwrap_err();
        assert!(refused.to_string().contains("rate"), "{refused}");
    }

    #[test]
    fn urls_join_base_and_route() {
        assert_eq!(url("http://127.0.0.1:8090/"), "http://127.0.0.1:8090/rate");
    }
}
