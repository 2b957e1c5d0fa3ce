//! Terminal output: progress on long waits (rewritten in place on a TTY, a line now and then
//! otherwise), colours only on a TTY.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Progress reporting to stderr.
#[derive(Debug, Clone)]
pub struct Progress {
    tty: bool,
    quiet: bool,
    /// When the last progress line went out, off a terminal: there, a line every second
    /// (the prompt's clock) would flood a log, so ticks go out at most every [`PLAIN_EVERY`].
    last_plain: Arc<Mutex<Option<Instant>>>,
    /// Tests capture the output here instead of stderr.
    sink: Option<Arc<Mutex<Vec<u8>>>>,
}

/// How often a progress line is written when stderr is not a terminal.
pub const PLAIN_EVERY: Duration = Duration::from_secs(30);

impl Progress {
    pub fn new(quiet: bool) -> Self {
        Progress { tty: std::io::stderr().is_terminal(), quiet, last_plain: Default::default(), sink: None }
    }

    /// Progress that writes into a buffer, as on a terminal (`tty`) or not.
    #[cfg(test)]
    fn captured(tty: bool) -> (Self, Arc<Mutex<Vec<u8>>>) {
        let sink = Arc::new(Mutex::new(Vec::new()));
        (Progress { tty, quiet: false, last_plain: Default::default(), sink: Some(sink.clone()) }, sink)
    }

    fn write(&self, text: &str) {
        match &self.sink {
            Some(sink) => sink.lock().expect("progress sink").extend_from_slice(text.as_bytes()),
            None => {
                let mut err = std::io::stderr().lock();
                let _ = err.write_all(text.as_bytes());
                let _ = err.flush();
            }
        }
    }

    /// One progress line: in place on a TTY; otherwise a plain line, at most every
    /// [`PLAIN_EVERY`] (the first one at once).
    pub fn tick(&self, line: &str) {
        if self.quiet {
            return;
        }
        if self.tty {
            self.write(&format!("\r\x1b[2K{line}"));
            return;
        }
        let mut last = self.last_plain.lock().expect("progress clock");
        if last.is_some_and(|at| at.elapsed() < PLAIN_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        self.write(&format!("{line}\n"));
    }

    /// A line that stays.
    pub fn say(&self, line: &str) {
        if self.quiet {
            return;
        }
        let clear = if self.tty { "\r\x1b[2K" } else { "" };
        self.write(&format!("{clear}{line}\n"));
    }

    /// Waits `total`, showing a countdown.
    pub async fn wait(&self, what: &str, total: Duration) {
        let end = tokio::time::Instant::now() + total;
        let step = if self.tty { Duration::from_secs(1) } else { Duration::from_secs(10) };
        loop {
            let left = end.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                break;
            }
            self.tick(&format!("{what}: {} s left", left.as_secs()));
            tokio::time::sleep(left.min(step)).await;
        }
    }
}

/// `text` in a colour when stdout is a terminal.
pub fn paint(text: &str, colour: Colour) -> String {
    if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        let code = match colour {
            Colour::Green => 32,
            Colour::Red => 31,
            Colour::Yellow => 33,
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Colour {
    Green,
    Red,
    Yellow,
}

/// Where the lab's backends answer, one line each (`None` = not running, with how to get it),
/// for `play` and `lab status`. `jaeger_ui`: the running Jaeger serves its web UI (an official
/// release); a build from the Go module has only the query API.
pub fn backend_lines(
    prometheus: Option<String>,
    jaeger: Option<String>,
    jaeger_ui: bool,
    victorialogs: Option<String>,
) -> Vec<String> {
    let line = |name: &str, at: Option<String>, url: &dyn Fn(&str) -> String, missing: &str| match at {
        Some(addr) => format!("  {name:<15} {}", url(&addr)),
        None => format!("  {name:<15} {missing}"),
    };
    let jaeger_url = |a: &str| {
        if jaeger_ui {
            format!("http://{a}/search (Jaeger UI; query API under /api/)")
        } else {
            format!("http://{a}/api/traces?service=api (query API; no UI in this build: README, \"Jaeger's UI\")")
        }
    };
    vec![
        line(
            "Prometheus",
            prometheus,
            &|a| format!("http://{a}/graph"),
            "not installed (apt-get install prometheus); use each service's /metrics",
        ),
        line("Jaeger", jaeger, &jaeger_url, "not built (tools/jaeger/ensure.sh); no traces"),
        line(
            "VictoriaLogs",
            victorialogs,
            &|a| format!("http://{a}/select/vmui/ (LogsQL UI; API under /select/logsql/)"),
            "not built (tools/victorialogs/ensure.sh); logs only in the files below",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(sink: &Arc<Mutex<Vec<u8>>>) -> String {
        String::from_utf8(sink.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn off_a_terminal_the_ticking_clock_writes_one_line_not_one_a_second() {
        let (progress, sink) = Progress::captured(false);
        for s in 0..5 {
            progress.tick(&format!("[Active] {s} s elapsed > "));
        }
        progress.say("diagnosis: correct");
        assert_eq!(text(&sink), "[Active] 0 s elapsed > \ndiagnosis: correct\n");
    }

    #[test]
    fn on_a_terminal_every_tick_rewrites_the_line_in_place() {
        let (progress, sink) = Progress::captured(true);
        for s in 0..3 {
            progress.tick(&format!("{s} s"));
        }
        assert_eq!(text(&sink), "\r\x1b[2K0 s\r\x1b[2K1 s\r\x1b[2K2 s");
    }
}
