//! Pricing: an in-process cache in front of the slow warehouse. A cold or evicted cache sends
//! traffic to the warehouse, so the cache hit ratio is part of every warehouse incident.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use firedrill_runtime::client::Dependency;
use firedrill_runtime::http::{AppError, Request, Response, Router, decode, json, param_u64};
use http::{Method, StatusCode};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use serde::Deserialize;

/// Cache tuning.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    pub capacity: usize,
    pub ttl: Duration,
}

#[derive(Debug, Deserialize)]
struct PriceRow {
    id: u64,
    price_cents: u64,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheResult {
    result: &'static str,
}

/// A TTL cache with a size bound; when full, expired entries go first, then an arbitrary one.
struct Cache {
    settings: CacheSettings,
    entries: Mutex<HashMap<u64, (Instant, u64)>>,
    requests: Family<CacheResult, Counter>,
}

impl Cache {
    fn get(&self, id: u64) -> Option<u64> {
        let entries = self.entries.lock().expect("cache lock");
        let hit = entries.get(&id).filter(|(at, _)| at.elapsed() < self.settings.ttl).map(|(_, p)| *p);
        let result = if hit.is_some() { "hit" } else { "miss" };
        self.requests.get_or_create(&CacheResult { result }).inc();
        hit
    }

    fn put(&self, id: u64, price: u64) {
        let mut entries = self.entries.lock().expect("cache lock");
        if entries.len() >= self.settings.capacity {
            let ttl = self.settings.ttl;
            entries.retain(|_, (at, _)| at.elapsed() < ttl);
            if entries.len() >= self.settings.capacity
                && let Some(victim) = entries.keys().next().copied()
            {
                entries.remove(&victim);
            }
        }
        entries.insert(id, (Instant::now(), price));
    }
}

/// The pricing routes, calling `warehouse` on a cache miss.
pub fn router(
    warehouse: Arc<Dependency>,
    settings: CacheSettings,
    metrics: &firedrill_runtime::telemetry::Metrics,
) -> Router {
    let cache = Arc::new(Cache { settings, entries: Mutex::new(HashMap::new()), requests: Family::default() });
    metrics.register("pricing_cache_requests", "Price cache lookups by result (hit, miss)", cache.requests.clone());
    Router::new().route(Method::GET, "/price/{id}", move |req| price(warehouse.clone(), cache.clone(), req))
}

async fn price(warehouse: Arc<Dependency>, cache: Arc<Cache>, req: Request) -> Result<Response, AppError> {
    let id = param_u64(&req, "id")?;
    let cents = match cache.get(id) {
        Some(cents) => cents,
        None => {
            let reply = warehouse.call(Method::GET, &format!("/query/price/{id}"), None).await?;
            let row: PriceRow = decode(&reply, warehouse.name())?;
            cache.put(row.id, row.price_cents);
            row.price_cents
        }
    };
    // Business rule: 10% off every 7th product; a little work per request.
    let final_cents = if id % 7 == 0 { cents * 9 / 10 } else { cents };
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "id": id, "price_cents": final_cents, "list_cents": cents, "currency": "EUR" }),
    ))
}
