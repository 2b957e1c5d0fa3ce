//! A TCP relay that counts requests on the wire. A `hang` stops a request inside the leaf's
//! chaos layer, before any handler or metric of the leaf sees it complete, so "the leaf really
//! received attempts × requests" is counted here, outside the code under test.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Relays to one upstream and counts occurrences of `needle` (a request line prefix such as
/// `GET /x/`) in the client-to-upstream bytes.
pub struct CountingProxy {
    pub addr: SocketAddr,
    seen: Arc<AtomicUsize>,
}

impl CountingProxy {
    pub async fn start(upstream: SocketAddr, needle: &'static [u8]) -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, upstream, needle, counter.clone()));
            }
        });
        CountingProxy { addr, seen }
    }

    /// Requests relayed so far.
    pub fn requests(&self) -> usize {
        self.seen.load(Ordering::SeqCst)
    }
}

async fn relay(client: TcpStream, upstream: SocketAddr, needle: &'static [u8], seen: Arc<AtomicUsize>) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_rd, mut client_wr) = client.into_split();
    let (mut server_rd, mut server_wr) = server.into_split();
    let back = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_rd, &mut client_wr).await;
        let _ = client_wr.shutdown().await;
    });
    let mut buf = vec![0u8; 16 * 1024];
    // The last `needle.len() - 1` bytes of the previous read, so a split needle still counts.
    let mut window: Vec<u8> = Vec::new();
    loop {
        let n = match client_rd.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        window.extend_from_slice(&buf[..n]);
        let found = window.windows(needle.len()).filter(|w| *w == needle).count();
        seen.fetch_add(found, Ordering::SeqCst);
        let keep = window.len().min(needle.len() - 1);
        window.drain(..window.len() - keep);
        if server_wr.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = server_wr.shutdown().await;
    let _ = back.await;
}
