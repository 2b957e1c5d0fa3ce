//! The control API of the real loadgen binary, over a loopback socket: reading, changing and
//! resetting the rate and the mix; bad input refused whole; a new mix used from then on.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

struct Loadgen {
    child: Child,
    base: String,
    http: Client<HttpConnector, Full<Bytes>>,
}

impl Loadgen {
    /// Started at 5 rps, half product half checkout, against a closed port (every request
    /// fails at once, which is all the mix check needs).
    async fn start() -> Loadgen {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_loadgen"))
            .args(["--target", "127.0.0.1:9", "--rate", "5", "--mix", "product=1,checkout=1"])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("loadgen starts");
        let http = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
        let loadgen = Loadgen { child, base: format!("http://127.0.0.1:{port}"), http };
        let deadline = Instant::now() + Duration::from_secs(10);
        while loadgen.call(Method::GET, "/rate", None).await.is_none() {
            assert!(Instant::now() < deadline, "loadgen did not answer within 10 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        loadgen
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Option<(StatusCode, String)> {
        let body = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        let request = Request::builder().method(method).uri(format!("{}{path}", self.base)).body(Full::new(body));
        let response = self.http.request(request.unwrap()).await.ok()?;
        let status = response.status();
        let bytes = response.into_body().collect().await.ok()?.to_bytes();
        Some((status, String::from_utf8_lossy(&bytes).into_owned()))
    }

    async fn state(&self) -> Value {
        let (status, body) = self.call(Method::GET, "/rate", None).await.expect("GET /rate");
        assert_eq!(status, StatusCode::OK);
        serde_json::from_str(&body).unwrap()
    }

    async fn put(&self, body: Value) -> (StatusCode, String) {
        self.call(Method::PUT, "/rate", Some(body)).await.expect("PUT /rate")
    }

    /// Requests sent so far to `endpoint`, from loadgen's own metrics.
    async fn sent(&self, endpoint: &str) -> f64 {
        let (_, text) = self.call(Method::GET, "/metrics", None).await.expect("GET /metrics");
        let series = format!("endpoint=\"{endpoint}\"");
        text.lines()
            .filter(|l| l.starts_with("loadgen_requests_total{") && l.contains(&series))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }
}

impl Drop for Loadgen {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn the_rate_and_mix_change_reset_and_refuse_bad_input_whole() {
    let loadgen = Loadgen::start().await;
    let started = json!({ "rps": 5.0, "mix": "product=1,checkout=1" });
    assert_eq!(loadgen.state().await, started);

    let (status, _) = loadgen.put(json!({ "rps": 40, "mix": "product=9,checkout=1" })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(loadgen.state().await, json!({ "rps": 40.0, "mix": "product=9,checkout=1" }));
    loadgen.put(json!({ "rps": 10 })).await;
    assert_eq!(loadgen.state().await, json!({ "rps": 10.0, "mix": "product=9,checkout=1" }), "no mix: mix kept");

    let refused = [
        (json!({ "rps": 20, "mix": "cart=1" }), "unknown endpoint `cart`"),
        (json!({ "rps": -1, "mix": "product=1" }), "rps must be"),
        (json!({ "rate": 3 }), "unknown field"),
    ];
    for (body, why) in refused {
        let (status, text) = loadgen.put(body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(text.contains(why), "{body}: {text}");
        assert_eq!(loadgen.state().await, json!({ "rps": 10.0, "mix": "product=9,checkout=1" }), "{body} changed it");
    }

    let (status, body) = loadgen.call(Method::DELETE, "/rate", None).await.unwrap();
    assert_eq!((status, serde_json::from_str::<Value>(&body).unwrap()), (StatusCode::OK, started));
}

#[tokio::test]
async fn a_new_mix_is_used_from_the_next_arrival() {
    let loadgen = Loadgen::start().await;
    loadgen.put(json!({ "rps": 400, "mix": "checkout=1" })).await;
    let products = loadgen.sent("product").await;
    let checkouts = loadgen.sent("checkout").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while loadgen.sent("checkout").await < checkouts + 200.0 {
        assert!(Instant::now() < deadline, "200 checkouts did not go out within 20 s at 400 rps");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Only requests already in flight at the switch may still land as products.
    let late = loadgen.sent("product").await - products;
    assert!(late <= 5.0, "{late} product requests after the mix became checkout only");
}
