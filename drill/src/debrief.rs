//! The debrief: what happened, when, and what would have found it fastest.
//!
//! "Review decisions, not just outcomes": the timeline puts every hint and diagnosis next to
//! the moments the signals first showed, so a team can see how long the evidence was there
//! before they acted on it. Rendered as Markdown for people and serialized as JSON for tools.

use crate::apart::TellingApart;
use crate::drill::{ContestantResult, Drill, Ending, Mode};
use crate::scenario::{Answer, Decoy, Difficulty, IsolatingQuery, Target};
use crate::taxonomy::FaultClass;
use crate::verdict::Verdict;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// The whole story of one drill, truth included: show it after the drill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Debrief {
    pub drill_id: String,
    pub scenario: String,
    pub title: String,
    pub difficulty: Difficulty,
    pub mode: Mode,
    /// Replays the same draw.
    pub seed: u64,
    pub ending: Option<Ending>,
    pub culprit: String,
    pub answer: Answer,
    pub story: String,
    pub isolating_queries: Vec<IsolatingQuery>,
    /// Every fault delivered: the culprit's, then amplifiers and gaps.
    pub faults: Vec<Target>,
    /// The decoys, delivered too: visible symptoms that were not the cause.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub red_herrings: Vec<Decoy>,
    /// Expected signals that never showed (a scenario or lab problem worth a look).
    pub signals_never_seen: Vec<String>,
    pub timeline: Vec<Entry>,
    pub results: Vec<ContestantResult>,
    pub winner: Option<String>,
    /// For every wrong or partial answer, what would have told it from the real cause.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub telling_apart: Vec<TellingApart>,
}

/// One moment, in milliseconds since injection (negative before it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub at_ms: i64,
    pub event: Event,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Event {
    WarmUp,
    Injected,
    #[serde(rename_all = "camelCase")]
    Signal {
        name: String,
    },
    #[serde(rename_all = "camelCase")]
    Hint {
        contestant: String,
        cost: u32,
        text: String,
    },
    #[serde(rename_all = "camelCase")]
    Diagnosis {
        player: String,
        team: Option<String>,
        service: String,
        fault_class: FaultClass,
        note: Option<String>,
        verdict: Verdict,
    },
    Ended {
        ending: Ending,
    },
    Reverted,
}

// === impl Debrief ===

impl Debrief {
    /// The debrief of `drill` as it stands.
    pub fn of(drill: &Drill) -> Debrief {
        let draw = drill.draw();
        let culprit = &draw.culprit;
        let seen = drill.signals_seen();
        Debrief {
            drill_id: drill.id().to_string(),
            scenario: drill.scenario().name.clone(),
            title: drill.scenario().title.clone(),
            difficulty: drill.scenario().difficulty,
            mode: drill.mode().clone(),
            seed: draw.seed,
            ending: drill.ending().map(|(e, _)| e),
            culprit: culprit.id.clone(),
            answer: culprit.answer.clone(),
            story: culprit.story.clone(),
            isolating_queries: culprit.isolating_queries.clone(),
            faults: culprit.targets.iter().chain(&draw.always).cloned().collect(),
            red_herrings: drill.scenario().decoys.clone(),
            signals_never_seen: drill
                .scenario()
                .signals_for(culprit)
                .filter(|s| !seen.contains_key(&s.name))
                .map(|s| s.name.clone())
                .collect(),
            timeline: timeline(drill),
            results: drill.results(),
            winner: drill.winner(),
            telling_apart: crate::apart::telling_apart(drill),
        }
    }

    /// The debrief for people.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let _ = self.write_markdown(&mut md);
        md
    }

    fn write_markdown(&self, md: &mut String) -> std::fmt::Result {
        writeln!(md, "# Debrief: {} ({})\n", self.title, self.scenario)?;
        writeln!(md, "Drill `{}`, {}, seed {}.", self.drill_id, self.difficulty, self.seed)?;
        let ending = self.ending.map_or("not over", |e| match e {
            Ending::Solved => "solved",
            Ending::TimeUp => "time ran out",
            Ending::Stopped => "stopped early",
        });
        let winner = self.winner.as_deref().map(|w| format!(" Winner: **{w}**.")).unwrap_or_default();
        writeln!(md, "Outcome: {ending}.{winner}\n")?;
        writeln!(md, "## The truth\n")?;
        writeln!(
            md,
            "Culprit `{}`: **{}** / **{}** ({}).\n",
            self.culprit,
            self.answer.service,
            self.answer.fault_class,
            self.answer.fault_class.description()
        )?;
        writeln!(md, "{}\n", self.story.trim())?;
        self.write_faults(md)?;
        self.write_red_herrings(md)?;
        self.write_timeline(md)?;
        self.write_apart(md)?;
        self.write_queries(md)?;
        self.write_results(md)
    }

    fn write_faults(&self, md: &mut String) -> std::fmt::Result {
        writeln!(md, "Faults delivered:\n")?;
        for t in &self.faults {
            let replica = t.replica.map(|r| format!(" replica {r}")).unwrap_or_default();
            let kinds: Vec<String> = t.faults.iter().map(|f| f.kind().to_string()).collect();
            writeln!(md, "- {}{replica}: {}", t.service, kinds.join(", "))?;
        }
        writeln!(md)
    }

    fn write_red_herrings(&self, md: &mut String) -> std::fmt::Result {
        if self.red_herrings.is_empty() {
            return Ok(());
        }
        writeln!(md, "## Red herrings\n\nDelivered in every draw, visible, and not the cause:\n")?;
        for d in &self.red_herrings {
            let replica = d.replica.map(|r| format!(" replica {r}")).unwrap_or_default();
            let kinds: Vec<String> = d.faults.iter().map(|f| f.kind().to_string()).collect();
            let signals: Vec<String> = d.signals.iter().map(|s| format!("`{}`", s.name)).collect();
            writeln!(md, "- {}{replica}: {} (showed as {})", d.service, kinds.join(", "), signals.join(", "))?;
            writeln!(md, "  {}", d.story.trim().replace('\n', "\n  "))?;
        }
        writeln!(md)
    }

    fn write_timeline(&self, md: &mut String) -> std::fmt::Result {
        writeln!(md, "## Timeline\n\n| time | event |\n|---|---|")?;
        for e in &self.timeline {
            writeln!(md, "| {} | {} |", clock(e.at_ms), describe(&e.event))?;
        }
        for name in &self.signals_never_seen {
            writeln!(md, "| never | signal `{name}` did not show |")?;
        }
        writeln!(md)
    }

    fn write_apart(&self, md: &mut String) -> std::fmt::Result {
        if self.telling_apart.is_empty() {
            return Ok(());
        }
        writeln!(md, "## Telling it apart\n")?;
        for t in &self.telling_apart {
            writeln!(md, "- {} said {} / {} ({}): {}", t.player, t.service, t.fault_class, t.verdict.as_str(), t.text)?;
        }
        writeln!(md)
    }

    fn write_queries(&self, md: &mut String) -> std::fmt::Result {
        if self.isolating_queries.is_empty() {
            return Ok(());
        }
        writeln!(md, "## What would have isolated it fastest\n")?;
        for q in &self.isolating_queries {
            let (q, why) = (&q.query, &q.why);
            writeln!(md, "- {why} (in {})\n\n  ```{}\n  {}\n  ```\n", q.backend_name(), q.backend(), q.text())?;
        }
        Ok(())
    }

    fn write_results(&self, md: &mut String) -> std::fmt::Result {
        writeln!(
            md,
            "## Scores\n\n| contestant | score | correct after | wrong | partial | hint cost |\n|---|---|---|---|---|---|"
        )?;
        for r in &self.results {
            let after = r.correct_after_ms.map_or("-".to_string(), |ms| clock(ms as i64));
            writeln!(
                md,
                "| {} | {} | {after} | {} | {} | {} |",
                r.contestant, r.score, r.wrong, r.partial, r.hint_cost
            )?;
        }
        Ok(())
    }
}

fn timeline(drill: &Drill) -> Vec<Entry> {
    let origin = drill.injected_at().unwrap_or_else(|| drill.status_origin());
    let hints = &drill.scenario().hints;
    let mut events: Vec<(crate::Timestamp, Event)> = Vec::new();
    events.extend(drill.warm_up_at().map(|t| (t, Event::WarmUp)));
    events.extend(drill.injected_at().map(|t| (t, Event::Injected)));
    events.extend(drill.signals_seen().iter().map(|(n, t)| (*t, Event::Signal { name: n.clone() })));
    events.extend(drill.hints().iter().map(|h| {
        let hint = &hints[h.index];
        (h.at, Event::Hint { contestant: h.contestant.clone(), cost: hint.cost, text: hint.text.clone() })
    }));
    events.extend(drill.diagnoses().iter().map(|d| {
        let s = &d.submission;
        let event = Event::Diagnosis {
            player: s.player.clone(),
            team: s.team.clone(),
            service: s.service.clone(),
            fault_class: s.fault_class,
            note: s.note.clone(),
            verdict: d.verdict,
        };
        (d.at, event)
    }));
    events.extend(drill.ending().map(|(ending, t)| (t, Event::Ended { ending })));
    events.extend(drill.reverted_at().map(|t| (t, Event::Reverted)));
    // Stable: events at the same moment keep the order above (cause before effect).
    events.sort_by_key(|(t, _)| *t);
    events.into_iter().map(|(t, event)| Entry { at_ms: t.offset_from(origin), event }).collect()
}

/// `+2:05`, `-0:30`.
pub(crate) fn clock(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "+" };
    let secs = ms.unsigned_abs() / 1000;
    format!("{sign}{}:{:02}", secs / 60, secs % 60)
}

fn describe(event: &Event) -> String {
    match event {
        Event::WarmUp => "warm-up: baseline traffic".into(),
        Event::Injected => "faults injected, clock starts".into(),
        Event::Signal { name } => format!("signal `{name}` first showed"),
        Event::Hint { contestant, cost, text } => format!("{contestant} took a hint (-{cost}): {text}"),
        Event::Diagnosis { player, team, service, fault_class, note, verdict } => {
            let who = team.as_ref().map_or(player.clone(), |t| format!("{player} ({t})"));
            let note = note.as_ref().map(|n| format!(": \"{n}\"")).unwrap_or_default();
            format!("{who} diagnosed {service} / {fault_class}{note} -> **{verdict}**")
        }
        Event::Ended { ending: Ending::Solved } => "solved".into(),
        Event::Ended { ending: Ending::TimeUp } => "time up".into(),
        Event::Ended { ending: Ending::Stopped } => "stopped".into(),
        Event::Reverted => "faults reverted".into(),
    }
}
