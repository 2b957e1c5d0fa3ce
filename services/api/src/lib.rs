//! The edge API: what the storefront (and loadgen) calls. A product page fans out to
//! inventory and pricing concurrently; a checkout is forwarded to the checkout service.

use std::sync::Arc;

use firedrill_runtime::client::Dependency;
use firedrill_runtime::http::{AppError, Request, Response, Router, decode, json, param_u64};
use http::{Method, StatusCode};
use serde::Deserialize;

/// The dependencies of the edge.
pub struct Upstreams {
    pub inventory: Arc<Dependency>,
    pub pricing: Arc<Dependency>,
    pub checkout: Arc<Dependency>,
}

#[derive(Debug, Deserialize)]
struct Stock {
    available: u64,
    location: String,
}

#[derive(Debug, Deserialize)]
struct Price {
    price_cents: u64,
    currency: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckoutRequest {
    product_id: u64,
    quantity: u64,
    customer: String,
}

/// The edge routes.
pub fn router(up: Upstreams) -> Router {
    let up = Arc::new(up);
    let up2 = up.clone();
    Router::new().route(Method::GET, "/api/products/{id}", move |req| product(up.clone(), req)).route(
        Method::POST,
        "/api/checkout",
        move |req| checkout(up2.clone(), req),
    )
}

async fn product(up: Arc<Upstreams>, req: Request) -> Result<Response, AppError> {
    let id = param_u64(&req, "id")?;
    let (stock_path, price_path) = (format!("/stock/{id}"), format!("/price/{id}"));
    let (stock, price) = tokio::join!(
        up.inventory.call(Method::GET, &stock_path, None),
        up.pricing.call(Method::GET, &price_path, None),
    );
    let stock: Stock = decode(&stock?, up.inventory.name())?;
    let price: Price = decode(&price?, up.pricing.name())?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({
            "id": id,
            "name": format!("Product {id}"),
            "price": { "cents": price.price_cents, "currency": price.currency },
            "in_stock": stock.available > 0,
            "available": stock.available,
            "ships_from": stock.location,
        }),
    ))
}

async fn checkout(up: Arc<Upstreams>, req: Request) -> Result<Response, AppError> {
    let order: CheckoutRequest = firedrill_runtime::http::parse_json(&req)?;
    if order.customer.trim().is_empty() {
        return Err(AppError::BadRequest("customer must not be empty".into()));
    }
    let body =
        serde_json::json!({ "product_id": order.product_id, "quantity": order.quantity, "customer": order.customer });
    let reply = up.checkout.call(Method::POST, "/orders", Some(body.to_string().into())).await?;
    let confirmation: serde_json::Value = decode(&reply, up.checkout.name())?;
    Ok(json(StatusCode::CREATED, &confirmation))
}
