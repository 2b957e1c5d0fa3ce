//! Terminal output: progress on long waits (rewritten in place on a TTY, a line now and then
//! otherwise), colours only on a TTY.

use std::io::{IsTerminal, Write};
use std::time::Duration;

/// Progress reporting to stderr.
#[derive(Debug, Clone)]
pub struct Progress {
    tty: bool,
    quiet: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        Progress { tty: std::io::stderr().is_terminal(), quiet }
    }

    /// One progress line: in place on a TTY, otherwise a plain line.
    pub fn tick(&self, line: &str) {
        if self.quiet {
            return;
        }
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{line}");
            let _ = err.flush();
        } else {
            let _ = writeln!(err, "{line}");
        }
    }

    /// A line that stays.
    pub fn say(&self, line: &str) {
        if self.quiet {
            return;
        }
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K");
        }
        let _ = writeln!(err, "{line}");
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
/// for `play` and `lab status`.
pub fn backend_lines(prometheus: Option<String>, jaeger: Option<String>, victorialogs: Option<String>) -> Vec<String> {
    let line = |name: &str, at: Option<String>, url: fn(&str) -> String, missing: &str| match at {
        Some(addr) => format!("  {name:<15} {}", url(&addr)),
        None => format!("  {name:<15} {missing}"),
    };
    vec![
        line(
            "Prometheus",
            prometheus,
            |a| format!("http://{a}/graph"),
            "not installed (apt-get install prometheus); use each service's /metrics",
        ),
        line(
            "Jaeger",
            jaeger,
            |a| format!("http://{a}/api/traces?service=api (query API)"),
            "not built (tools/jaeger/ensure.sh); no traces",
        ),
        line(
            "VictoriaLogs",
            victorialogs,
            |a| format!("http://{a}/select/vmui/ (LogsQL UI; API under /select/logsql/)"),
            "not built (tools/victorialogs/ensure.sh); logs only in the files below",
        ),
    ]
}
