//! The local lab's host of the game-day screen (crate `firedrill-screen`): its own listener on
//! loopback, apart from the control API, serving the supervisor's drill (`lab up`) or the one
//! `play` runs in the foreground. The page and what it may show are the screen crate's; this
//! module only says where the drill and the backends are.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use firedrill_backends::Backends;
use firedrill_drill::Timestamp;
use firedrill_screen::{BackendUrls, Round, Screen, ScreenConfig, Source};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::supervisor::Supervisor;

/// How long page requests in flight at shutdown may take to finish.
const GRACE: Duration = Duration::from_secs(1);

/// A listener for the screen on 127.0.0.1 (a free port): bound before the URL is printed.
pub async fn bind() -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// `http://127.0.0.1:PORT/`.
pub fn url(addr: SocketAddr) -> String {
    format!("http://{addr}/")
}

/// The line `lab up`, `lab status` and `play` print.
pub fn line(addr: SocketAddr) -> String {
    format!("game-day screen: {}", url(addr))
}

/// The screen reads Prometheus where the lab runs it, and links the players' browsers to the
/// same loopback addresses.
pub fn config(backends: &Backends) -> ScreenConfig {
    let base = |a: Option<SocketAddr>| a.map(|a| format!("http://{a}"));
    ScreenConfig {
        prometheus: backends.prometheus,
        links: BackendUrls {
            prometheus: base(backends.prometheus),
            jaeger: base(backends.jaeger),
            victorialogs: base(backends.victorialogs),
        },
    }
}

/// Serves `screen` on `listener` until `stopped` resolves, on the runtime's accept loop.
pub async fn serve<S: Source>(listener: TcpListener, screen: Screen<S>, stopped: impl Future<Output = ()>) {
    let svc = firedrill_screen::service::<S, hyper::body::Incoming>(Arc::new(screen));
    firedrill_runtime::server::listen::run(listener, svc, stopped, GRACE).await;
}

/// The background lab's drill: the running one, else the last one played.
pub struct SupervisorSource(pub Arc<Supervisor>);

impl Source for SupervisorSource {
    async fn round(&self) -> Round {
        self.0.screen_round().await
    }

    fn now(&self) -> Timestamp {
        crate::session::now()
    }
}

/// `play`'s drill, as the prompt loop last published it (after every tick and command).
pub struct Published(pub watch::Receiver<Round>);

impl Source for Published {
    async fn round(&self) -> Round {
        self.0.borrow().clone()
    }

    fn now(&self) -> Timestamp {
        crate::session::now()
    }
}
