//! The warehouse: the lab's database. A fixed number of connections (queries beyond them
//! queue, as on a real database), and real per-query work: a scan over the product's bins
//! (CPU) and a storage round-trip (I/O wait with a long tail).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use firedrill_runtime::http::{AppError, Request, Response, Router, json, param_u64, parse_json};
use http::{Method, StatusCode};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Unit;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

/// Products in the catalog (ids 1..=PRODUCTS).
pub const PRODUCTS: u64 = 10_000;
/// Storage bins scanned per stock query: the query's CPU work.
const BINS_PER_PRODUCT: u64 = 4_000;

/// Tuning of the store.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Concurrent queries (database connections).
    pub connections: usize,
    /// Median storage round-trip.
    pub storage_latency: Duration,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueryLabel {
    query: &'static str,
}

struct Store {
    settings: Settings,
    connections: Semaphore,
    reserved: Mutex<HashMap<u64, u64>>,
    next_reservation: Mutex<u64>,
    query_time: Family<QueryLabel, Histogram, fn() -> Histogram>,
    in_use: Gauge,
}

#[derive(Debug, Serialize)]
struct StockRow {
    id: u64,
    sku: String,
    on_hand: u64,
    reserved: u64,
    location: String,
}

#[derive(Debug, Serialize)]
struct PriceRow {
    id: u64,
    price_cents: u64,
    currency: &'static str,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReserveQuery {
    id: u64,
    quantity: u64,
}

/// A deterministic pseudo-random number for `seed` (splitmix64): the catalog is the same on
/// every run, so drills replay.
pub fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn query_histogram() -> Histogram {
    Histogram::new([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0])
}

/// The warehouse's routes.
pub fn router(settings: Settings, metrics: &firedrill_runtime::telemetry::Metrics) -> Router {
    let store = Arc::new(Store {
        connections: Semaphore::new(settings.connections.max(1)),
        settings,
        reserved: Mutex::new(HashMap::new()),
        next_reservation: Mutex::new(1),
        query_time: Family::new_with_constructor(query_histogram),
        in_use: Gauge::default(),
    });
    metrics.register_with_unit(
        "warehouse_query_duration",
        "Query time inside the warehouse, connection wait included",
        Unit::Seconds,
        store.query_time.clone(),
    );
    metrics.register("warehouse_connections_in_use", "Database connections busy with a query", store.in_use.clone());
    let (s1, s2, s3) = (store.clone(), store.clone(), store);
    Router::new()
        .route(Method::GET, "/query/stock/{id}", move |req| stock(s1.clone(), req))
        .route(Method::GET, "/query/price/{id}", move |req| price(s2.clone(), req))
        .route(Method::POST, "/query/reserve", move |req| reserve(s3.clone(), req))
}

fn product_id(req: &Request) -> Result<u64, AppError> {
    let id = param_u64(req, "id")?;
    if (1..=PRODUCTS).contains(&id) { Ok(id) } else { Err(AppError::NotFound(format!("product {id}"))) }
}

impl Store {
    /// Runs `work` on a connection, timing the whole query.
    async fn query<T>(&self, name: &'static str, work: impl FnOnce() -> T) -> Result<T, AppError> {
        let start = Instant::now();
        let _conn = self.connections.acquire().await.map_err(|_| AppError::Unavailable("store closed".into()))?;
        self.in_use.inc();
        let result = work();
        tokio::time::sleep(self.storage_wait()).await;
        self.in_use.dec();
        self.query_time.get_or_create(&QueryLabel { query: name }).observe(start.elapsed().as_secs_f64());
        Ok(result)
    }

    /// Storage round-trip: the median plus an exponential tail (p99 about 5x the median).
    fn storage_wait(&self) -> Duration {
        let median = self.settings.storage_latency.as_secs_f64();
        let tail = -(1.0 - fastrand::f64()).ln() * median * 0.7;
        Duration::from_secs_f64((median * 0.5 + tail).min(median * 10.0))
    }
}

/// Sums the product's bins: real CPU work proportional to the table size.
fn scan_bins(id: u64) -> u64 {
    (0..BINS_PER_PRODUCT).map(|bin| mix(id * BINS_PER_PRODUCT + bin) % 7).sum()
}

async fn stock(store: Arc<Store>, req: Request) -> Result<Response, AppError> {
    let id = product_id(&req)?;
    let on_hand = store.query("stock", || scan_bins(id)).await?;
    let reserved = store.reserved.lock().expect("reserved lock").get(&id).copied().unwrap_or(0);
    let row =
        StockRow { id, sku: format!("SKU-{id:05}"), on_hand, reserved, location: format!("aisle-{}", mix(id) % 40) };
    Ok(json(StatusCode::OK, &row))
}

async fn price(store: Arc<Store>, req: Request) -> Result<Response, AppError> {
    let id = product_id(&req)?;
    let price_cents = store.query("price", || 199 + mix(id ^ 0xC0FFEE) % 49_800).await?;
    Ok(json(StatusCode::OK, &PriceRow { id, price_cents, currency: "EUR" }))
}

async fn reserve(store: Arc<Store>, req: Request) -> Result<Response, AppError> {
    let q: ReserveQuery = parse_json(&req)?;
    if !(1..=PRODUCTS).contains(&q.id) {
        return Err(AppError::NotFound(format!("product {}", q.id)));
    }
    if q.quantity == 0 || q.quantity > 100 {
        return Err(AppError::BadRequest("quantity must be 1..=100".into()));
    }
    let on_hand = store.query("reserve", || scan_bins(q.id)).await?;
    let reservation = {
        let mut reserved = store.reserved.lock().expect("reserved lock");
        let held = reserved.entry(q.id).or_insert(0);
        if *held + q.quantity > on_hand {
            return Err(AppError::Conflict(format!("only {} of product {} left", on_hand.saturating_sub(*held), q.id)));
        }
        *held += q.quantity;
        let mut next = store.next_reservation.lock().expect("reservation lock");
        *next += 1;
        *next
    };
    Ok(json(
        StatusCode::CREATED,
        &serde_json::json!({ "reservation_id": reservation, "id": q.id, "quantity": q.quantity }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_deterministic() {
        assert_eq!(scan_bins(42), scan_bins(42));
        assert_ne!(scan_bins(42), scan_bins(43));
        assert!(scan_bins(1) > 1000, "about 3 per bin on average");
    }
}
