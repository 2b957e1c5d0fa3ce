//! The arrival loop and the requests it fires.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Unit;

use crate::mix::{Endpoint, Mix, ProductIds};

/// What to send, where, and how much.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The edge API, `host:port`.
    pub target: String,
    /// The mix at start (and after [`Generator::reset`]).
    pub mix: Mix,
    pub max_in_flight: usize,
    pub timeout: Duration,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Labels {
    endpoint: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabel {
    endpoint: &'static str,
}

/// The users' view: latency from the scheduled start, outcomes, drops.
#[derive(Debug, Clone)]
pub struct LoadMetrics {
    duration: Family<Labels, Histogram, fn() -> Histogram>,
    requests: Family<Labels, Counter>,
    dropped: Family<EndpointLabel, Counter>,
    in_flight: Gauge,
    target_rate: Gauge<f64, std::sync::atomic::AtomicU64>,
}

fn histogram() -> Histogram {
    Histogram::new(firedrill_runtime::telemetry::LATENCY_BUCKETS)
}

impl LoadMetrics {
    pub fn new(registry: &firedrill_runtime::telemetry::Metrics) -> Self {
        let m = LoadMetrics {
            duration: Family::new_with_constructor(histogram),
            requests: Family::default(),
            dropped: Family::default(),
            in_flight: Gauge::default(),
            target_rate: Gauge::default(),
        };
        registry.register_with_unit(
            "loadgen_request_duration",
            "Latency seen by users, from the scheduled start",
            Unit::Seconds,
            m.duration.clone(),
        );
        registry.register(
            "loadgen_requests",
            "Requests by endpoint and outcome (ok, client_error, error, timeout)",
            m.requests.clone(),
        );
        registry.register("loadgen_dropped", "Arrivals not sent because max in-flight was reached", m.dropped.clone());
        registry.register("loadgen_in_flight", "Requests in flight", m.in_flight.clone());
        registry.register("loadgen_target_rate_rps", "Target arrival rate", m.target_rate.clone());
        m
    }
}

/// The open-loop generator. The rate and the mix can change while it runs.
pub struct Generator {
    settings: Settings,
    /// The rate at start (and after [`Generator::reset`]).
    initial_rate: f64,
    rate_milli: AtomicU64,
    mix: ArcSwap<Mix>,
    in_flight: AtomicUsize,
    client: Client<HttpConnector, Full<Bytes>>,
    ids: ProductIds,
    metrics: LoadMetrics,
}

impl Generator {
    pub fn new(settings: Settings, rate: f64, metrics: LoadMetrics) -> Arc<Self> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client =
            Client::builder(TokioExecutor::new()).pool_max_idle_per_host(settings.max_in_flight).build(connector);
        let g = Generator {
            mix: ArcSwap::from_pointee(settings.mix.clone()),
            settings,
            initial_rate: rate,
            rate_milli: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            client,
            ids: ProductIds::zipf(10_000),
            metrics,
        };
        g.set_rate(rate);
        Arc::new(g)
    }

    /// Requests per second, from now on.
    pub fn set_rate(&self, rps: f64) {
        self.rate_milli.store((rps.max(0.0) * 1000.0) as u64, Ordering::Relaxed);
        self.metrics.target_rate.set(rps.max(0.0));
    }

    pub fn rate(&self) -> f64 {
        self.rate_milli.load(Ordering::Relaxed) as f64 / 1000.0
    }

    /// Endpoint weights, from the next arrival on.
    pub fn set_mix(&self, mix: Mix) {
        self.mix.store(Arc::new(mix));
    }

    pub fn mix(&self) -> Arc<Mix> {
        self.mix.load_full()
    }

    /// Back to the rate and mix it started with.
    pub fn reset(&self) {
        self.set_rate(self.initial_rate);
        self.set_mix(self.settings.mix.clone());
    }

    /// Fires arrivals until `until` (or forever). Poisson: exponential gaps at the current rate.
    pub async fn run(self: Arc<Self>, until: Option<Instant>) {
        let mut next = Instant::now();
        while until.is_none_or(|u| next < u) {
            let rate = self.rate();
            if rate <= 0.0 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                next = Instant::now();
                continue;
            }
            next += Duration::from_secs_f64(-(1.0 - fastrand::f64()).ln() / rate);
            tokio::time::sleep_until(next.into()).await;
            self.clone().arrive(next);
        }
    }

    fn arrive(self: Arc<Self>, scheduled: Instant) {
        let endpoint = self.mix.load().pick();
        if self.in_flight.fetch_add(1, Ordering::AcqRel) >= self.settings.max_in_flight {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            self.metrics.dropped.get_or_create(&EndpointLabel { endpoint: endpoint.as_str() }).inc();
            return;
        }
        self.metrics.in_flight.inc();
        tokio::spawn(async move {
            let outcome = self.send(endpoint).await;
            let labels = Labels { endpoint: endpoint.as_str(), outcome };
            self.metrics.duration.get_or_create(&labels).observe(scheduled.elapsed().as_secs_f64());
            self.metrics.requests.get_or_create(&labels).inc();
            self.metrics.in_flight.dec();
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
        });
    }

    async fn send(&self, endpoint: Endpoint) -> &'static str {
        let id = self.ids.pick();
        let target = &self.settings.target;
        let req = match endpoint {
            Endpoint::Product => http::Request::get(format!("http://{target}/api/products/{id}")).body(Full::default()),
            Endpoint::Checkout => {
                let body =
                    format!(r#"{{"product_id":{id},"quantity":1,"customer":"customer-{}"}}"#, fastrand::u32(1..5000));
                http::Request::post(format!("http://{target}/api/checkout"))
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .body(Full::new(Bytes::from(body)))
            }
        };
        let Ok(req) = req else { return "error" };
        let exchange = async {
            let resp = self.client.request(req).await.ok()?;
            let status = resp.status();
            resp.into_body().collect().await.ok()?;
            Some(status)
        };
        match tokio::time::timeout(self.settings.timeout, exchange).await {
            Err(_) => "timeout",
            Ok(None) => "error",
            Ok(Some(s)) if s.is_success() => "ok",
            Ok(Some(s)) if s.is_client_error() => "client_error",
            Ok(Some(_)) => "error",
        }
    }
}
