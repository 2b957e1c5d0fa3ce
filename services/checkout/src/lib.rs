//! Checkout: an order reserves stock through inventory, then charges through payments.
//! It is the second caller of inventory, so an inventory incident reaches it too.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use firedrill_runtime::client::Dependency;
use firedrill_runtime::http::{AppError, Request, Response, Router, decode, json, parse_json};
use http::{Method, StatusCode};
use serde::Deserialize;

/// The dependencies of checkout.
pub struct Upstreams {
    pub inventory: Arc<Dependency>,
    pub payments: Arc<Dependency>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Order {
    product_id: u64,
    quantity: u64,
    customer: String,
}

#[derive(Debug, Deserialize)]
struct Reservation {
    reservation_id: u64,
}

#[derive(Debug, Deserialize)]
struct Charge {
    charge_id: String,
    status: String,
}

/// The checkout routes.
pub fn router(up: Upstreams) -> Router {
    let state = Arc::new((up, AtomicU64::new(1)));
    Router::new().route(Method::POST, "/orders", move |req| order(state.clone(), req))
}

async fn order(state: Arc<(Upstreams, AtomicU64)>, req: Request) -> Result<Response, AppError> {
    let (up, next_order) = &*state;
    let order: Order = parse_json(&req)?;
    let reserve = serde_json::json!({ "id": order.product_id, "quantity": order.quantity });
    let reply = up.inventory.call(Method::POST, "/reserve", Some(reserve.to_string().into())).await?;
    let reservation: Reservation = decode(&reply, up.inventory.name())?;
    // Price is fixed per product in the lab's catalog: 5 EUR per unit keeps the charge simple.
    let charge = serde_json::json!({ "customer": order.customer, "amount_cents": order.quantity * 500 });
    let reply = up.payments.call(Method::POST, "/charge", Some(charge.to_string().into())).await?;
    let charge: Charge = decode(&reply, up.payments.name())?;
    let order_id = next_order.fetch_add(1, Ordering::Relaxed);
    Ok(json(
        StatusCode::CREATED,
        &serde_json::json!({
            "order_id": order_id,
            "reservation_id": reservation.reservation_id,
            "charge_id": charge.charge_id,
            "status": if charge.status == "approved" { "confirmed" } else { "payment_declined" },
        }),
    ))
}
