//! `firedrill play`: a whole drill for one player in one terminal — lab up, warm-up, the
//! incident against a live clock with a prompt, debrief, lab down.

use std::time::Duration;

use anyhow::Context;
use firedrill_drill::{FaultClass, Mode, Phase, Scenario, Submission, Verdict};
use firedrill_screen::{Round, Screen};
use tokio::io::AsyncBufReadExt;
use tokio::sync::watch;

use crate::lab::{Lab, LabOptions};
use crate::output::{Colour, Progress, paint};
use crate::session::{Session, now};

/// How `play` runs.
pub struct PlayOptions {
    pub lab: LabOptions,
    pub seed: u64,
    pub player: String,
    pub warm_up: Duration,
    /// How to play this drill again, printed after the debrief (it holds the seed).
    pub replay: String,
}

/// `firedrill play [SCENARIO] [--from ...] --seed N`: the same draw again.
pub fn replay_command(scenario: Option<&str>, from: &[String], seed: u64) -> String {
    let what = match (scenario, from) {
        (Some(name), _) => format!(" {name}"),
        (None, []) => String::new(),
        (None, from) => format!(" --from {}", from.join(",")),
    };
    format!("firedrill play{what} --seed {seed}")
}

const HELP: &str = "commands:
  diagnose <service> <fault-class> [note...]   submit your root cause
  hint                                         unlock the next hint (costs points)
  status                                       phase, clock, your diagnoses
  services | classes                           what you can answer with
  stop                                         give up and see the debrief";

pub async fn play(opts: PlayOptions, scenario: Scenario) -> anyhow::Result<()> {
    let progress = Progress::new(false);
    progress.say("starting the lab ...");
    let lab = Lab::up(&opts.lab).await.context("starting the lab")?;
    // The game-day screen shows what the prompt loop publishes, on its own loopback port.
    let (listener, screen) = crate::screen::bind().await.context("binding the game-day screen")?;
    let (rounds, published) = watch::channel(Round::idle(now()));
    let page = Screen::new(crate::screen::Published(published), crate::screen::config(&lab.backends));
    let (stop_screen, screen_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::screen::serve(listener, page, async move {
        let _ = screen_stopped.await;
    }));
    print_where_to_look(&lab, screen);
    let briefing = scenario.briefing.clone();
    let incident = format!("=== INCIDENT: {} ===", scenario.incident);
    let limit = scenario.time_limit();
    let mut session = Session::start(lab, scenario, opts.seed, Mode::FirstCorrectWins, opts.warm_up, &progress).await?;
    rounds.send_replace(Round::of(session.drill(), now()));
    println!("\n{}\n{briefing}", paint(&incident, Colour::Red));
    println!("You have {} minutes. {HELP}\n", limit.as_secs() / 60);
    let result = run_prompt(&mut session, &opts.player, &progress, &rounds).await;
    let (debrief, drill, lab) = session.finish().await?;
    rounds.send_replace(Round::of(&drill, now()));
    println!("\n{}", debrief.to_markdown());
    let saved = lab.dir.join("debrief.json");
    std::fs::write(&saved, serde_json::to_vec_pretty(&debrief)?)
        .with_context(|| format!("writing {}", saved.display()))?;
    println!("(debrief saved to {}; replay with `{}`)", saved.display(), opts.replay);
    lab.down().await;
    let _ = stop_screen.send(());
    let _ = server.await;
    result
}

fn print_where_to_look(lab: &Lab, screen: std::net::SocketAddr) {
    println!("\n{}", crate::screen::line(screen));
    println!("\nWhere to look:");
    let addr = |a: Option<std::net::SocketAddr>| a.map(|a| a.to_string());
    for line in crate::output::backend_lines(
        addr(lab.backends.prometheus),
        addr(lab.backends.jaeger),
        lab.jaeger_ui,
        addr(lab.backends.victorialogs),
    ) {
        println!("{line}");
    }
    for i in &lab.instances {
        println!("  {:<15} http://{}/metrics", format!("{}[{}]", i.service, i.replica), i.addr);
    }
    println!("  logs            {}", lab.logs().display());
}

async fn run_prompt(
    session: &mut Session,
    player: &str,
    progress: &Progress,
    rounds: &watch::Sender<Round>,
) -> anyhow::Result<()> {
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut stdin_open = true;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let phase = session.tick().await?;
                rounds.send_replace(Round::of(session.drill(), now()));
                if phase != Phase::Active {
                    return Ok(());
                }
                let s = session.status();
                progress.tick(&format!("[{:?}] {:>3} s elapsed, {:>3} s left > ", s.phase, s.elapsed_ms / 1000, s.remaining_ms / 1000));
            }
            line = lines.next_line(), if stdin_open => match line? {
                Some(line) => {
                    let go_on = command(session, player, line.trim());
                    rounds.send_replace(Round::of(session.drill(), now()));
                    if !go_on {
                        return Ok(());
                    }
                    if session.phase() != Phase::Active {
                        return Ok(());
                    }
                }
                None => stdin_open = false,
            },
        }
    }
}

/// Runs one prompt command; `false` means the player stopped.
fn command(session: &mut Session, player: &str, line: &str) -> bool {
    let mut words = line.split_whitespace();
    match words.next() {
        None => {}
        Some("stop" | "quit" | "exit") => return false,
        Some("hint") => match session.hint(player) {
            Ok(h) => println!("\nHINT (-{} points): {}", h.cost, h.text),
            Err(e) => println!("\n{e}"),
        },
        Some("status") => println!("\n{}", serde_json::to_string_pretty(&session.status()).unwrap_or_default()),
        Some("services") => println!("\n{}", firedrill_drill::topology::service_names()),
        Some("classes") => {
            for c in FaultClass::ALL {
                println!("  {:<26} {}", c.as_str(), c.description());
            }
        }
        Some("diagnose") => diagnose(session, player, words.collect()),
        Some(_) => println!("\n{HELP}"),
    }
    true
}

fn diagnose(session: &mut Session, player: &str, words: Vec<&str>) {
    let [service, class, note @ ..] = words.as_slice() else {
        println!("\nusage: diagnose <service> <fault-class> [note...]");
        return;
    };
    let fault_class: FaultClass = match class.parse() {
        Ok(c) => c,
        Err(e) => return println!("\n{e}"),
    };
    let note = (!note.is_empty()).then(|| note.join(" "));
    let submission =
        Submission { player: player.to_string(), team: None, service: service.to_string(), fault_class, note };
    match session.diagnose(submission) {
        Ok(Verdict::Correct) => println!("\n{}", paint("CORRECT — incident solved.", Colour::Green)),
        Ok(Verdict::Partial) => {
            println!("\n{}", paint("PARTIAL — right service, wrong mechanism. Keep going.", Colour::Yellow))
        }
        Ok(Verdict::Wrong) => println!("\n{}", paint("WRONG — keep investigating.", Colour::Red)),
        Err(e) => println!("\n{e}"),
    }
}
