//! Loopback plumbing for the tests that start a real backend with the chart's configuration:
//! free ports, polling with a deadline, a child killed on drop, bare HTTP/1.1.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const JSON: &str = "application/json";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `attempt` every 100 ms until it gives a value or `within` has passed.
pub fn poll<T>(within: Duration, mut attempt: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + within;
    loop {
        match attempt() {
            Some(value) => return Some(value),
            None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            None => return None,
        }
    }
}

/// A started backend, killed (and its data directory removed) when dropped, failed
/// assertions included.
pub struct Running(Child, Option<PathBuf>);

impl Running {
    pub fn spawn(command: &mut Command, data: Option<PathBuf>) -> Self {
        let child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn();
        Running(child.unwrap_or_else(|e| panic!("{command:?}: {e}")), data)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        if let Some(dir) = &self.1 {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A bare HTTP/1.1 request on loopback; the status code and the rest of the response, or
/// `None` if nothing listens yet.
pub fn http(port: u16, method: &str, path: &str, content_type: &str, body: &[u8]) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(&[head.as_bytes(), body].concat()).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response).into_owned();
    Some((response.split_whitespace().nth(1)?.parse().ok()?, response))
}

/// The response of a 200 answer.
pub fn ok(response: Option<(u16, String)>) -> Option<String> {
    response.filter(|(status, _)| *status == 200).map(|(_, text)| text)
}

/// Every byte but ASCII letters and digits as `%XX`, for a query string.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
