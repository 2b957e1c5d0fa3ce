//! Inventory: stock levels and reservations, read from and written to the warehouse. Shared
//! by `api` (reads) and `checkout` (reservations), so its trouble shows up in both.

use std::sync::Arc;

use firedrill_runtime::client::Dependency;
use firedrill_runtime::http::{AppError, Request, Response, Router, decode, param_u64};
use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
struct StockRow {
    id: u64,
    on_hand: u64,
    reserved: u64,
    location: String,
}

#[derive(Debug, Serialize)]
struct Stock {
    id: u64,
    available: u64,
    location: String,
}

/// The inventory routes, calling `warehouse`.
pub fn router(warehouse: Arc<Dependency>) -> Router {
    let w2 = warehouse.clone();
    Router::new().route(Method::GET, "/stock/{id}", move |req| stock(warehouse.clone(), req)).route(
        Method::POST,
        "/reserve",
        move |req| reserve(w2.clone(), req),
    )
}

async fn stock(warehouse: Arc<Dependency>, req: Request) -> Result<Response, AppError> {
    let id = param_u64(&req, "id")?;
    let reply = warehouse.call(Method::GET, &format!("/query/stock/{id}"), None).await?;
    let row: StockRow = decode(&reply, warehouse.name())?;
    let stock = Stock { id: row.id, available: row.on_hand.saturating_sub(row.reserved), location: row.location };
    Ok(firedrill_runtime::http::json(StatusCode::OK, &stock))
}

async fn reserve(warehouse: Arc<Dependency>, req: Request) -> Result<Response, AppError> {
    let reply = warehouse.call(Method::POST, "/query/reserve", Some(req.body.clone())).await?;
    let body: serde_json::Value = decode(&reply, warehouse.name())?;
    Ok(firedrill_runtime::http::json(reply.status, &body))
}
