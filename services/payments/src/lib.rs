//! Payments: a charge is fraud-scored (real CPU work) and then sent to the card processor (a
//! network round-trip, here a wait with a tail). Leaf service: it calls nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use firedrill_runtime::http::{AppError, Request, Response, Router, json, parse_json};
use http::{Method, StatusCode};
use serde::Deserialize;

/// Processor round-trip and fraud-scoring cost.
#[derive(Debug, Clone)]
pub struct Settings {
    pub processor_latency: Duration,
    pub scoring_rounds: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChargeRequest {
    customer: String,
    amount_cents: u64,
}

/// The payments routes.
pub fn router(settings: Settings) -> Router {
    let state = Arc::new((settings, AtomicU64::new(1)));
    Router::new().route(Method::POST, "/charge", move |req| charge(state.clone(), req))
}

/// A deterministic score in 0..1000 from the customer and amount; rounds of mixing are the
/// CPU cost of a real model.
fn fraud_score(customer: &str, amount: u64, rounds: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in customer.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    for i in 0..rounds {
        h = (h ^ amount.rotate_left(i % 64)).wrapping_mul(0x100_0000_01b3);
        h ^= h >> 29;
    }
    h % 1000
}

async fn charge(state: Arc<(Settings, AtomicU64)>, req: Request) -> Result<Response, AppError> {
    let (settings, next) = &*state;
    let c: ChargeRequest = parse_json(&req)?;
    if c.amount_cents == 0 || c.amount_cents > 10_000_000 {
        return Err(AppError::BadRequest("amount_cents must be 1..=10000000".into()));
    }
    let score = fraud_score(&c.customer, c.amount_cents, settings.scoring_rounds);
    let wait = settings.processor_latency.mul_f64(0.5 + fastrand::f64());
    tokio::time::sleep(wait).await;
    let id = next.fetch_add(1, Ordering::Relaxed);
    let status = if score < 990 { "approved" } else { "declined" };
    Ok(json(
        StatusCode::CREATED,
        &serde_json::json!({ "charge_id": format!("ch_{id:08}"), "status": status, "risk": score }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoring_is_deterministic_and_spread() {
        assert_eq!(fraud_score("ada", 500, 1000), fraud_score("ada", 500, 1000));
        let distinct: std::collections::HashSet<_> = (0..50).map(|i| fraud_score(&format!("c{i}"), 500, 100)).collect();
        assert!(distinct.len() > 40);
    }
}
