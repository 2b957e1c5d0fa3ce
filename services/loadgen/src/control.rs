//! loadgen's own HTTP API, for scenario load during drills, plus the runtime's `/metrics`,
//! `/healthz`, `/readyz`:
//!
//! - `GET /rate`: `{"rps": N, "mix": "product=9,checkout=1"}`, what is being sent now;
//! - `PUT /rate {"rps": N}` or `{"rps": N, "mix": "..."}`: from the next arrival on (a mix
//!   left out stays as it is); bad input is refused whole, with a 400 that says why;
//! - `DELETE /rate`: back to the rate and mix loadgen was started with (`--rate`, `--mix`).
//!
//! The request and reply are [`LoadRequest`] and [`LoadReply`] from `firedrill-control`, the
//! types the CLI's and the operator's [`firedrill_control::LoadgenClient`] send and decode.

use std::sync::Arc;

use firedrill_control::load::{MAX_RPS, RATE_PATH};
use firedrill_control::{LoadReply, LoadRequest};
use firedrill_runtime::http::{AppError, Request, Response, Router, json, parse_json};
use http::{Method, StatusCode};

use crate::{Generator, Mix};

pub fn router(generator: Arc<Generator>) -> Router {
    let (for_put, for_delete) = (generator.clone(), generator.clone());
    Router::new()
        .route(Method::GET, RATE_PATH, move |_req| {
            let g = generator.clone();
            async move { Ok(state(&g)) }
        })
        .route(Method::PUT, RATE_PATH, move |req| set_load(for_put.clone(), req))
        .route(Method::DELETE, RATE_PATH, move |_req| {
            let g = for_delete.clone();
            async move {
                g.reset();
                Ok(state(&g))
            }
        })
}

async fn set_load(generator: Arc<Generator>, req: Request) -> Result<Response, AppError> {
    let load: LoadRequest = parse_json(&req)?;
    if !(0.0..=MAX_RPS).contains(&load.rps) {
        return Err(AppError::BadRequest(format!("rps must be 0..={MAX_RPS}, got {}", load.rps)));
    }
    let mix = load.mix.map(|m| m.parse::<Mix>()).transpose().map_err(|e| AppError::BadRequest(e.to_string()))?;
    generator.set_rate(load.rps);
    if let Some(mix) = mix {
        generator.set_mix(mix);
    }
    Ok(state(&generator))
}

fn state(generator: &Generator) -> Response {
    json(StatusCode::OK, &LoadReply { rps: generator.rate(), mix: generator.mix().to_string() })
}
