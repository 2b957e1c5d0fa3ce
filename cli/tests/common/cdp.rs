//! A small Chrome DevTools Protocol client for the browser tests: headless Chromium started
//! in its own process group with a scratch profile, one websocket to the browser, pages
//! attached as flat sessions. Events are kept as they arrive, for the network checks.
//!
//! Dropping the [`Browser`] SIGKILLs Chromium's whole process group, so a failing test leaves
//! no renderer behind.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long one protocol call may take.
const CALL: Duration = Duration::from_secs(30);

/// Chromium, if installed: `FIREDRILL_CHROMIUM`, else `chromium` on PATH.
pub fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("FIREDRILL_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("chromium")).find(|p| p.is_file())
}

/// A headless Chromium and the websocket to it.
pub struct Browser {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Dropped before the profile, so Chromium is gone when its directory is removed.
    _chromium: Guard,
    _profile: tempfile::TempDir,
    next_id: u64,
    /// Every event received so far (`method`, `params`, `sessionId`).
    pub events: Vec<Value>,
}

/// One page (a target attached in flat mode).
pub struct Page {
    pub session: String,
}

impl Browser {
    /// Starts `binary` headless on a free DevTools port and connects to it.
    pub async fn launch(binary: &std::path::Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        // Root in a container has no user namespaces for the sandbox: --no-sandbox.
        let child = std::process::Command::new(binary)
            .args(["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            .args(["--no-first-run", "--no-default-browser-check", "--remote-debugging-port=0"])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0)
            .spawn()
            .expect("starting chromium");
        let chromium = Guard(Some(child));
        let port_file = profile.path().join("DevToolsActivePort");
        let end = tokio::time::Instant::now() + Duration::from_secs(30);
        let url = loop {
            // The file holds the port and the browser's websocket path, one a line.
            let text = std::fs::read_to_string(&port_file).unwrap_or_default();
            if let [port, path, ..] = text.lines().collect::<Vec<_>>()[..] {
                break format!("ws://127.0.0.1:{port}{path}");
            }
            assert!(tokio::time::Instant::now() < end, "chromium wrote no DevToolsActivePort within 30 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let (ws, _) = tokio_tungstenite::connect_async(url.as_str()).await.expect("the DevTools websocket");
        Browser { ws, _chromium: chromium, _profile: profile, next_id: 0, events: Vec::new() }
    }

    /// Sends `method` (to a page when `page` is given) and waits for its result; panics on a
    /// protocol error or after 30 s.
    pub async fn call(&mut self, page: Option<&Page>, method: &str, params: Value) -> Value {
        self.try_call(page, method, params).await.unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// Like [`call`](Self::call), with the protocol's error as `Err`.
    pub async fn try_call(&mut self, page: Option<&Page>, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(p) = page {
            msg["sessionId"] = json!(p.session);
        }
        self.ws.send(Message::text(msg.to_string())).await.expect("sending to chromium");
        let reply = tokio::time::timeout(CALL, async {
            loop {
                let frame = self.ws.next().await.expect("chromium closed the websocket").expect("websocket");
                let Message::Text(text) = frame else { continue };
                let value: Value = serde_json::from_str(&text).expect("DevTools JSON");
                if value["id"] == id {
                    return value;
                }
                if value.get("method").is_some() {
                    self.events.push(value);
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{method}: no answer within {CALL:?}"));
        match reply.get("error") {
            Some(e) => Err(e.clone()),
            None => Ok(reply["result"].clone()),
        }
    }

    /// A new page at `about:blank`, attached, with the network and page domains on.
    pub async fn page(&mut self, width: u32, height: u32) -> Page {
        let target = self.call(None, "Target.createTarget", json!({ "url": "about:blank" })).await;
        let attached =
            self.call(None, "Target.attachToTarget", json!({ "targetId": target["targetId"], "flatten": true })).await;
        let page = Page { session: attached["sessionId"].as_str().expect("a session").to_string() };
        self.call(Some(&page), "Network.enable", json!({})).await;
        self.call(Some(&page), "Page.enable", json!({})).await;
        self.resize(&page, width, height).await;
        page
    }

    pub async fn resize(&mut self, page: &Page, width: u32, height: u32) {
        let metrics = json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false });
        self.call(Some(page), "Emulation.setDeviceMetricsOverride", metrics).await;
    }

    pub async fn navigate(&mut self, page: &Page, url: &str) {
        self.call(Some(page), "Page.navigate", json!({ "url": url })).await;
    }

    /// Evaluates `expression` in the page and returns its value (by value, as JSON).
    pub async fn eval(&mut self, page: &Page, expression: &str) -> Value {
        let params = json!({ "expression": expression, "returnByValue": true });
        let result = self.call(Some(page), "Runtime.evaluate", params).await;
        assert!(result.get("exceptionDetails").is_none(), "{expression}: {result}");
        result["result"]["value"].clone()
    }

    /// A PNG of the page as it is laid out now.
    pub async fn screenshot(&mut self, page: &Page) -> Vec<u8> {
        use base64::Engine;
        let shot = self.call(Some(page), "Page.captureScreenshot", json!({ "format": "png" })).await;
        base64::engine::general_purpose::STANDARD.decode(shot["data"].as_str().expect("PNG data")).expect("base64")
    }

    /// Every response the page received so far: its URL and body (as text).
    pub async fn responses(&mut self, page: &Page) -> Vec<(String, String)> {
        self.eval(page, "1").await; // flushes the events already on the wire
        let received: Vec<(String, Value)> = self
            .events
            .iter()
            .filter(|e| e["method"] == "Network.responseReceived" && e["sessionId"] == page.session.as_str())
            .map(|e| {
                (e["params"]["response"]["url"].as_str().unwrap_or("").to_string(), e["params"]["requestId"].clone())
            })
            .collect();
        let mut out = Vec::new();
        for (url, id) in received {
            let body = match self.try_call(Some(page), "Network.getResponseBody", json!({ "requestId": id })).await {
                Ok(b) if b["base64Encoded"] == true => {
                    use base64::Engine;
                    let raw =
                        base64::engine::general_purpose::STANDARD.decode(b["body"].as_str().unwrap_or("")).unwrap();
                    String::from_utf8_lossy(&raw).into_owned()
                }
                Ok(b) => b["body"].as_str().unwrap_or("").to_string(),
                // A response still loading has no body yet: the next check reads it.
                Err(e) if e.to_string().contains("No data found") => continue,
                Err(e) => panic!("Network.getResponseBody of {url}: {e}"),
            };
            out.push((url, body));
        }
        out
    }
}

/// SIGKILLs Chromium's process group (renderers included) when dropped, then reaps it.
struct Guard(Option<std::process::Child>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let group = nix::unistd::Pid::from_raw(child.id() as i32);
            let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
            let _ = child.wait();
        }
    }
}
