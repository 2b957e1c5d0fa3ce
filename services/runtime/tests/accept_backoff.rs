//! When the process runs out of file descriptors, the accept loop backs off instead of
//! spinning, and serves again once descriptors are free.
//!
//! EMFILE is produced for real: the test re-runs this binary as a child (the ignored
//! `child_serves_with_few_descriptors`), which lowers its own RLIMIT_NOFILE to a few above
//! what it has open and serves on `listen::run`. The parent opens more connections than
//! that; the kernel queues them in the backlog, so the child's `accept` keeps failing with
//! EMFILE. The parent then reads the child's CPU time from `/proc/<pid>/stat` over a fixed
//! window: a loop that retries at once burns most of a core there, the backoff next to none.

use std::convert::Infallible;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use firedrill_runtime::server::listen;
use http_body_util::Full;

const CHILD: &str = "FIREDRILL_ACCEPT_BACKOFF_CHILD";
/// Descriptors the child may open beyond those it has when it starts serving.
const SPARE: u64 = 8;
/// How long the child's CPU time is watched while its accepts fail.
const WINDOW: Duration = Duration::from_secs(2);
/// `/proc/<pid>/stat` counts CPU time in USER_HZ ticks, 100 per second on Linux.
const TICKS_PER_SECOND: f64 = 100.0;

#[test]
#[ignore = "run by accept_backs_off_when_descriptors_run_out as its child process"]
fn child_serves_with_few_descriptors() {
    assert!(std::env::var_os(CHILD).is_some(), "only meant to run as the child of the backoff test");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limit = open_fds(std::process::id()) as u64 + SPARE;
        let (_, hard) = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap();
        nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE, limit, hard).unwrap();
        println!("\nREADY {addr} {limit}");
        std::io::stdout().flush().unwrap();
        let svc = hyper::service::service_fn(|_req| async {
            Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from_static(b"ok"))))
        });
        // Serves until the parent closes our stdin (or dies).
        let stop = async {
            let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await;
        };
        listen::run(listener, svc, stop, Duration::from_secs(1)).await;
    });
}

#[test]
fn accept_backs_off_when_descriptors_run_out() {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "child_serves_with_few_descriptors", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the test binary runs again as the child");
    let (addr, limit) = ready_line(&mut child, Duration::from_secs(30));
    let pid = child.id();

    // More connections than the child can take: the rest wait in its backlog.
    let held: Vec<TcpStream> = (0..limit + 40).map(|_| TcpStream::connect(addr).expect("backlog takes it")).collect();
    until("the child holds every descriptor it may", Duration::from_secs(10), || open_fds(pid) as u64 >= limit);

    let before = cpu_seconds(pid);
    std::thread::sleep(WINDOW); // the measurement window itself, not a stand-in for a condition
    let used = cpu_seconds(pid) - before;
    assert!(
        used < 0.2 * WINDOW.as_secs_f64(),
        "the child used {used:.2} s of CPU in {WINDOW:?} while accept failed with EMFILE: it spins"
    );

    // Descriptors free again: the child drains its backlog and answers a new request.
    drop(held);
    until("the child serves again", Duration::from_secs(10), || get(addr).is_some_and(|r| r.contains("200 OK")));

    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the child did not stop after its stdin closed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for the child's `READY addr limit` line.
fn ready_line(child: &mut Child, within: Duration) -> (SocketAddr, u64) {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("READY ").nth(1) {
                let _ = tx.send(rest.to_string());
            }
        }
    });
    let line = rx.recv_timeout(within).expect("the child reports its address");
    let (addr, limit) = line.split_once(' ').unwrap();
    (addr.parse().unwrap(), limit.trim().parse().unwrap())
}

fn until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0)
}

/// utime + stime of `pid`, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces) start at `state`, field 3.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / TICKS_PER_SECOND
}

fn get(addr: SocketAddr) -> Option<String> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").ok()?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).ok()?;
    Some(reply)
}
