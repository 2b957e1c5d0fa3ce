//! loadgen's own HTTP API: `GET /rate` and `PUT /rate {"rps": N}` (scenario load steps), plus
//! the runtime's `/metrics`, `/healthz`, `/readyz`.

use std::sync::Arc;

use firedrill_runtime::http::{AppError, Request, Response, Router, json, parse_json};
use http::{Method, StatusCode};
use serde::Deserialize;

use crate::Generator;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rate {
    rps: f64,
}

/// Largest rate accepted, so a typo cannot flood the machine.
pub const MAX_RPS: f64 = 20_000.0;

pub fn router(generator: Arc<Generator>) -> Router {
    let g2 = generator.clone();
    Router::new()
        .route(Method::GET, "/rate", move |_req| {
            let g = generator.clone();
            async move { Ok(json(StatusCode::OK, &serde_json::json!({ "rps": g.rate() }))) }
        })
        .route(Method::PUT, "/rate", move |req| set_rate(g2.clone(), req))
}

async fn set_rate(generator: Arc<Generator>, req: Request) -> Result<Response, AppError> {
    let rate: Rate = parse_json(&req)?;
    if !(0.0..=MAX_RPS).contains(&rate.rps) {
        return Err(AppError::BadRequest(format!("rps must be 0..={MAX_RPS}, got {}", rate.rps)));
    }
    generator.set_rate(rate.rps);
    Ok(json(StatusCode::OK, &serde_json::json!({ "rps": generator.rate() })))
}
